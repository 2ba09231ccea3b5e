#include "media/ffmpeg_log.h"

#include <algorithm>
#include <cstdarg>
#include <string_view>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace msearch::media {
namespace {

// A few messages are enough to explain a failure, and a corrupt stream can
// log one error per packet.
constexpr size_t kMaxCapturedMessages = 4;

thread_local FfmpegErrorCapture* active_capture = nullptr;

std::string_view TrimLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

void LogCallback(void* context, int level, const char* format, va_list arguments) {
  if (level > AV_LOG_WARNING) return;
  bool capture = level <= AV_LOG_ERROR && active_capture != nullptr;
  if (!capture && !spdlog::should_log(spdlog::level::debug)) return;

  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(context, level, format, arguments, line, sizeof(line), &print_prefix);
  std::string_view text = TrimLine(line);
  if (text.empty()) return;

  spdlog::debug("ffmpeg: {}", text);
  if (capture) active_capture->Add(std::string(text));
}

}  // namespace

void InstallFfmpegLogCallback() {
  av_log_set_level(AV_LOG_ERROR);
  av_log_set_callback(&LogCallback);
}

FfmpegErrorCapture::FfmpegErrorCapture() : previous_(active_capture) { active_capture = this; }

FfmpegErrorCapture::~FfmpegErrorCapture() { active_capture = previous_; }

void FfmpegErrorCapture::Add(std::string message) {
  // The log line starts with "[h264 @ 0x55d0c2a4e8c0] ". The address makes
  // equal messages look distinct and means nothing to a user.
  if (message.starts_with('[')) {
    size_t close = message.find("] ");
    size_t at = message.find(" @ 0x");
    if (close != std::string::npos && at != std::string::npos && at < close) {
      std::string context = message.substr(1, at - 1);
      // Parsers log without a named context, as "[NULL @ 0x...]".
      message = context == "NULL" ? message.substr(close + 2)
                                  : context + ": " + message.substr(close + 2);
    }
  }
  if (std::find(messages_.begin(), messages_.end(), message) != messages_.end()) return;
  if (messages_.size() >= kMaxCapturedMessages) return;
  messages_.push_back(std::move(message));
}

std::string FfmpegErrorCapture::Text() const {
  std::string text;
  for (const auto& message : messages_) {
    if (!text.empty()) text += "; ";
    text += message;
  }
  return text;
}

std::string FfmpegErrorString(int error_code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(error_code, buffer, sizeof(buffer));
  return buffer;
}

}  // namespace msearch::media
