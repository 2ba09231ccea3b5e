"""Reference CLIP model in plain PyTorch for the engine comparison.

The module code follows CLIPModel of transformers 4.27 (pre-norm blocks,
quick_gelu, causal text attention, pooling at the argmax of input_ids) so
that it computes what msearch's engine computes. It reads a Hugging Face
folder (config.json and an F32 model.safetensors) without transformers or
the safetensors package.
"""

import json
import os

import numpy as np
import torch
from torch import nn

# Modules are built on the meta device, which allocates nothing, because
# _load replaces every parameter with a view of the checkpoint buffer.
_META = {"device": "meta"}

_NUMPY_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    """Read every tensor of a safetensors file into a dict of torch tensors.

    The format is an 8-byte little-endian header length, a JSON header that
    maps names to dtype, shape and data_offsets, then the raw tensor bytes.
    The file is read into one buffer and the tensors are views of it, so
    loading costs the file's size in memory once.
    """
    raw = np.fromfile(path, dtype=np.uint8)
    header_length = int.from_bytes(raw[:8].tobytes(), "little")
    header = json.loads(raw[8:8 + header_length].tobytes())
    data_start = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _NUMPY_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, "
                             "expected F32, F16 or I64")
        begin, end = entry["data_offsets"]
        chunk = raw[data_start + begin:data_start + end]
        if (data_start + begin) % np.dtype(dtype).itemsize:
            chunk = chunk.copy()  # an unaligned view cannot back a torch tensor
        array = chunk.view(dtype).reshape(entry["shape"])
        if dtype == np.float16:
            array = array.astype(np.float32)
        tensors[name] = torch.from_numpy(array)
    return tensors


class QuickGelu(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.q_proj = nn.Linear(width, width, **_META)
        self.k_proj = nn.Linear(width, width, **_META)
        self.v_proj = nn.Linear(width, width, **_META)
        self.out_proj = nn.Linear(width, width, **_META)

    def forward(self, x, mask):
        batch, length, width = x.shape

        def split(t):
            return t.view(batch, length, self.heads, self.head_dim).transpose(1, 2)

        q = split(self.q_proj(x)) * (self.head_dim ** -0.5)
        k = split(self.k_proj(x))
        v = split(self.v_proj(x))
        scores = torch.matmul(q, k.transpose(-1, -2))
        if mask is not None:
            scores = scores + mask
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_proj(context.transpose(1, 2).reshape(batch, length, width))


class Mlp(nn.Module):
    def __init__(self, width, inner):
        super().__init__()
        self.fc1 = nn.Linear(width, inner, **_META)
        self.fc2 = nn.Linear(inner, width, **_META)
        self.activation = QuickGelu()

    def forward(self, x):
        return self.fc2(self.activation(self.fc1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = config["hidden_size"]
        eps = config.get("layer_norm_eps", 1e-5)
        self.self_attn = Attention(width, config["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(width, eps=eps, **_META)
        self.mlp = Mlp(width, config["intermediate_size"])
        self.layer_norm2 = nn.LayerNorm(width, eps=eps, **_META)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config["num_hidden_layers"]))

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class VisionEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = config["hidden_size"]
        patch = config["patch_size"]
        positions = (config["image_size"] // patch) ** 2 + 1
        self.class_embedding = nn.Parameter(torch.zeros(width, **_META))
        self.patch_embedding = nn.Conv2d(config.get("num_channels", 3), width, patch, stride=patch,
                                         bias=False, **_META)
        self.position_embedding = nn.Embedding(positions, width, **_META)

    def forward(self, pixel_values):
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(pixel_values.shape[0], 1, -1)
        return torch.cat([cls, patches], dim=1) + self.position_embedding.weight


class VisionTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = config["hidden_size"]
        eps = config.get("layer_norm_eps", 1e-5)
        self.embeddings = VisionEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(width, eps=eps, **_META)  # sic: the checkpoint's name
        self.encoder = Encoder(config)
        self.post_layernorm = nn.LayerNorm(width, eps=eps, **_META)

    def forward(self, pixel_values):
        hidden = self.encoder(self.pre_layrnorm(self.embeddings(pixel_values)))
        return self.post_layernorm(hidden[:, 0, :])


class TextEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = config["hidden_size"]
        self.token_embedding = nn.Embedding(config["vocab_size"], width, **_META)
        self.position_embedding = nn.Embedding(config["max_position_embeddings"], width, **_META)

    def forward(self, input_ids):
        length = input_ids.shape[1]
        return self.token_embedding(input_ids) + self.position_embedding.weight[:length]


class TextTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embeddings = TextEmbeddings(config)
        self.encoder = Encoder(config)
        self.final_layer_norm = nn.LayerNorm(config["hidden_size"],
                                             eps=config.get("layer_norm_eps", 1e-5), **_META)

    def forward(self, input_ids):
        length = input_ids.shape[1]
        # Additive causal mask: each query attends only to keys at or before its position.
        mask = torch.full((length, length), torch.finfo(torch.float32).min).triu(1)
        hidden = self.final_layer_norm(self.encoder(self.embeddings(input_ids), mask))
        # The first end-of-text token has the highest id in CLIP's vocabulary.
        eos = input_ids.argmax(dim=-1)
        return hidden[torch.arange(hidden.shape[0]), eos]


class VisionTower(nn.Module):
    """Vision tower: pixel_values [batch, 3, size, size] to raw image embeddings [batch, projection_dim]."""

    def __init__(self, vision_model, visual_projection):
        super().__init__()
        self.vision_model = vision_model
        self.visual_projection = visual_projection

    def forward(self, pixel_values):
        return self.visual_projection(self.vision_model(pixel_values))


class TextTower(nn.Module):
    """Text tower: input_ids [batch, length], unpadded, to raw text embeddings [batch, projection_dim]."""

    def __init__(self, text_model, text_projection):
        super().__init__()
        self.text_model = text_model
        self.text_projection = text_projection

    def forward(self, input_ids):
        return self.text_projection(self.text_model(input_ids))


def load_towers(model_dir):
    """Build both towers from `model_dir` and load model.safetensors into them.

    Raises ValueError when the checkpoint lacks a tensor the modules expect
    or has one they do not know (position_ids buffers aside).
    """
    with open(os.path.join(model_dir, "config.json")) as file:
        config = json.load(file)
    vision_config = config["vision_config"]
    text_config = config["text_config"]
    for name, part in (("vision_config", vision_config), ("text_config", text_config)):
        if part.get("hidden_act", "quick_gelu") != "quick_gelu":
            raise ValueError(f"{model_dir}/config.json: {name}.hidden_act is "
                             f"{part['hidden_act']}, the reference supports only quick_gelu")
    projection_dim = config.get("projection_dim", 512)
    vision = VisionTower(VisionTransformer(vision_config),
                         nn.Linear(vision_config["hidden_size"], projection_dim, bias=False, **_META))
    text = TextTower(TextTransformer(text_config),
                     nn.Linear(text_config["hidden_size"], projection_dim, bias=False, **_META))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    _load(vision, weights, ("vision_model.", "visual_projection."))
    _load(text, weights, ("text_model.", "text_projection."))
    vision.eval()
    text.eval()
    return vision, text


def _load(tower, weights, prefixes):
    """Make the checkpoint tensors under `prefixes` the parameters of `tower`, without copies."""
    state = {name: tensor for name, tensor in weights.items()
             if name.startswith(prefixes) and not name.endswith("position_ids")}
    expected = dict(tower.named_parameters())
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"checkpoint does not match the reference modules: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ValueError(f"checkpoint tensor {name} has shape {tuple(tensor.shape)}, "
                             f"expected {tuple(expected[name].shape)}")
        module_name, _, leaf = name.rpartition(".")
        module = tower.get_submodule(module_name)
        module._parameters[leaf] = nn.Parameter(tensor, requires_grad=False)


def benchmark_text_ids(tokens=12):
    """Token ids of the one short text that bench/inference_bench times.

    Start of text 49406, then 320 + 17 * t, then end of text 49407, unpadded.
    """
    ids = [49406] + [320 + 17 * t for t in range(1, tokens - 1)] + [49407]
    return torch.tensor([ids], dtype=torch.int64)


def flops_per_image(model_dir):
    """Multiply-adds of one image through the vision tower, times two (as inference_bench counts)."""
    with open(os.path.join(model_dir, "config.json")) as file:
        config = json.load(file)
    vision = config["vision_config"]
    width = vision["hidden_size"]
    inner = vision["intermediate_size"]
    patches = (vision["image_size"] // vision["patch_size"]) ** 2
    tokens = patches + 1
    macs = patches * vision.get("num_channels", 3) * vision["patch_size"] ** 2 * width
    per_layer = tokens * width * 4 * width + 2 * tokens * tokens * width + 2 * tokens * width * inner
    macs += vision["num_hidden_layers"] * per_layer + width * config.get("projection_dim", 512)
    return 2 * macs

