// SHA-256 against the FIPS 180-2 appendix B vectors.
#include "engine/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tp {
namespace {

const std::string kMillionADigest =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256, AbcMatchesFips180Vector) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, EmptyMessageMatchesKnownDigest) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FourHundredFortyEightBitMessageMatchesFips180Vector) {
    // 56 bytes: the padding no longer fits the first block, so a second one is added.
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OneMillionAMatchesFips180Vector) {
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), kMillionADigest);
}

TEST(Sha256, UnevenChunksGiveTheOneShotDigest) {
    Sha256 h;
    const std::string a(200, 'a');
    size_t fed = 0;
    for (size_t chunk = 1; fed < 1000000; chunk = chunk % 131 + 1) {
        size_t n = std::min(chunk, 1000000 - fed);
        h.update(std::string_view(a.data(), n));
        fed += n;
    }
    EXPECT_EQ(h.hex_digest(), kMillionADigest);
}

TEST(Sha256, FileDigestStreamsTheFile) {
    const auto path = std::filesystem::temp_directory_path() / "tp_sha256_million_a.bin";
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(1000000, 'a');
    }
    auto digest = sha256_file_hex(path.string());
    ASSERT_TRUE(digest.ok()) << digest.error().message;
    EXPECT_EQ(*digest, kMillionADigest);
    std::filesystem::remove(path);
}

TEST(Sha256, MissingFileErrorNamesIt) {
    auto digest = sha256_file_hex("/nonexistent/tp_model.onnx");
    ASSERT_FALSE(digest.ok());
    EXPECT_NE(digest.error().message.find("/nonexistent/tp_model.onnx"), std::string::npos);
}

}  // namespace
}  // namespace tp
