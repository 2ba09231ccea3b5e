#include "search/query_language.h"

#include <array>
#include <cstdint>
#include <string>

namespace msearch::search {
namespace {

// English words, lower case, matched as whole words. Plurals and -ing forms
// are listed because the match is exact.
constexpr std::array<std::string_view, 58> kEnglishSoundWords = {
    "audio",     "bgm",        "chorus",       "concert",    "conversation", "conversations",
    "dialog",    "dialogs",    "dialogue",     "dialogues",  "discussion",   "drum",
    "drums",     "guitar",     "instrumental", "interview",  "interviews",   "lecture",
    "lectures",  "melody",     "meeting",      "meetings",   "music",        "musical",
    "narration", "noise",      "piano",        "podcast",    "podcasts",     "rap",
    "recording", "recordings", "sing",         "singer",     "singing",      "song",
    "songs",     "sound",      "sounds",       "soundtrack", "speak",        "speaker",
    "speaking",  "speech",     "speeches",     "spoken",     "talk",         "talking",
    "talks",     "tune",       "tunes",        "vocal",      "vocals",       "voice",
    "voiceover", "voices",     "applause",     "laughter",
};

// Chinese words, matched as substrings: music, song, background music,
// soundtrack, speech, talking, meeting, dialogue, conversation, lecture,
// sound, recording, interview, melody, singing, piece of music, piano,
// guitar, applause, laughter, reading aloud, podcast.
constexpr std::array<std::string_view, 24> kChineseSoundWords = {
    "音乐", "歌",   "背景音乐", "配乐", "语音", "讲话", "说话", "会议",
    "对话", "谈话", "演讲",     "声音", "录音", "采访", "访谈", "旋律",
    "唱",   "乐曲", "钢琴",     "吉他", "掌声", "笑声", "朗读", "播客",
};

// Decodes the UTF-8 sequence at `text[*pos]` and advances `*pos` past it.
// Returns 0xFFFD for an invalid or truncated sequence and advances one byte.
char32_t NextCodePoint(std::string_view text, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(*pos);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || *pos + length > text.size()) {
    ++*pos;
    return 0xFFFD;
  }
  char32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    unsigned char next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    code = (code << 6) | (next & 0x3F);
  }
  *pos += length;
  return code;
}

bool IsHan(char32_t code) {
  return (code >= 0x4E00 && code <= 0x9FFF) ||  // CJK Unified Ideographs
         (code >= 0x3400 && code <= 0x4DBF) ||  // Extension A
         (code >= 0xF900 && code <= 0xFAFF) ||  // Compatibility Ideographs
         (code >= 0x20000 && code <= 0x2FA1F);  // Extensions B to F and supplements
}

bool IsAsciiWordCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool ContainsChinese(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (IsHan(NextCodePoint(text, &pos))) return true;
  }
  return false;
}

bool NamesSound(std::string_view text) {
  for (std::string_view word : kChineseSoundWords) {
    if (text.find(word) != std::string_view::npos) return true;
  }
  // Words are runs of ASCII letters and digits, and anything else separates them.
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && !IsAsciiWordCharacter(text[pos])) ++pos;
    size_t start = pos;
    while (pos < text.size() && IsAsciiWordCharacter(text[pos])) ++pos;
    if (pos == start) continue;
    std::string word(text.substr(start, pos - start));
    for (char& c : word) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (std::string_view sound : kEnglishSoundWords) {
      if (word == sound) return true;
    }
  }
  return false;
}

}  // namespace msearch::search
