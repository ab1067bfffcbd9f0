// SHA-256 (FIPS 180-4) of bytes and of files, as lowercase hex. A project file records its
// model's digest so that opening it can tell whether the model changed since it was saved.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/result.h"

namespace tp {

// Incremental hashing: feed any number of chunks, then take the digest once.
class Sha256 {
  public:
    Sha256();
    void update(std::string_view bytes);
    std::array<uint8_t, 32> digest();  // finishes the hash; call once
    std::string hex_digest();          // 64 lowercase hex characters; finishes the hash

  private:
    void compress(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t length_bytes_ = 0;
};

std::string sha256_hex(std::string_view bytes);

// Reads the file in chunks (models run to hundreds of MB). The error names the file.
Result<std::string> sha256_file_hex(const std::string& path);

}  // namespace tp
