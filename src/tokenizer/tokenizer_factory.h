#pragma once

#include <filesystem>
#include <memory>

#include "tokenizer/tokenizer.h"

namespace msearch::tokenizer {

// Loads the tokenizer of a Hugging Face checkpoint folder. The kind comes
// from `tokenizer_class` in tokenizer_config.json (CLIPTokenizer,
// BertTokenizer, RobertaTokenizer; their "Fast" names load the same slow
// implementation). Without that key the files decide: vocab.txt is BERT
// WordPiece, and vocab.json + merges.txt is CLIP when the vocabulary has
// <|startoftext|>, RoBERTa otherwise. Special tokens come from
// special_tokens_map.json, then tokenizer_config.json, then the defaults of
// the tokenizer class. Throws TokenizerError naming the folder or file when
// a file is missing or malformed or the class is not supported.
std::unique_ptr<Tokenizer> LoadTokenizer(const std::filesystem::path& dir);

}  // namespace msearch::tokenizer
