"""Export the PyTorch reference CLIP towers to ONNX for the ONNX Runtime benchmark.

Writes OUTPUT/vision.onnx (pixel_values [batch, 3, size, size] to
image_embeds [batch, projection_dim]) and OUTPUT/text.onnx (input_ids
[batch, length], unpadded, to text_embeds [batch, projection_dim]), with
the batch and length axes dynamic. torch.onnx.export of torch 1.13
serialises the graph itself, so the `onnx` Python package is not needed.

Run with Debian's /usr/bin/python3, which has python3-torch.
"""

import argparse
import json
import os

import torch

import clip_reference

OPSET = 14  # the first opset with Trilu, which the causal mask needs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder with config.json and model.safetensors")
    parser.add_argument("--output", required=True, help="folder to write vision.onnx and text.onnx to")
    args = parser.parse_args()

    os.makedirs(args.output, exist_ok=True)
    vision, text = clip_reference.load_towers(args.model)
    with open(os.path.join(args.model, "config.json")) as file:
        size = json.load(file)["vision_config"]["image_size"]

    with torch.no_grad():
        torch.onnx.export(vision, (torch.zeros(2, 3, size, size),),
                          os.path.join(args.output, "vision.onnx"), opset_version=OPSET,
                          input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
        torch.onnx.export(text, (clip_reference.benchmark_text_ids(),),
                          os.path.join(args.output, "text.onnx"), opset_version=OPSET,
                          input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                        "text_embeds": {0: "batch"}})
    print(f"wrote {args.output}/vision.onnx and {args.output}/text.onnx")


if __name__ == "__main__":
    main()
