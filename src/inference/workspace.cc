#include "inference/workspace.h"

#include <cstdlib>
#include <new>

namespace msearch::inference {
namespace {

constexpr size_t kAlignmentBytes = 64;
constexpr size_t kAlignmentFloats = kAlignmentBytes / sizeof(float);

}  // namespace

void Workspace::AlignedDelete::operator()(float* pointer) const { std::free(pointer); }

void Workspace::BeginLayout() { used_ = 0; }

size_t Workspace::Add(size_t count) {
  size_t handle = used_;
  used_ += (count + kAlignmentFloats - 1) / kAlignmentFloats * kAlignmentFloats;
  return handle;
}

void Workspace::Commit() {
  if (used_ <= capacity_) return;
  block_.reset();
  void* memory = std::aligned_alloc(kAlignmentBytes, used_ * sizeof(float));
  if (memory == nullptr) throw std::bad_alloc();
  block_.reset(static_cast<float*>(memory));
  capacity_ = used_;
}

}  // namespace msearch::inference
