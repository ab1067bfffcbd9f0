// BERT-tiny (Turc et al. 2019, google/bert_uncased_L-2_H-128_A-2; layout of Hugging Face
// BertForSequenceClassification): L=2, H=128, A=2, intermediate 512, vocab 30522, 512
// positions, 2 token types, sequence 128, pooler (dense + tanh on token 0) and a 2-class
// classifier. 4,386,178 trainable parameters.
//
// Graph inputs: input_ids, token_type_ids and position_ids, each [1, 128] i64 (the IR has
// no constant tensors, so the position indices 0..127 arrive as an input; every embedding
// is a Gather from its full table, keeping the parameter count exact). No attention mask
// (all tokens attend) and no dropout (identity at inference).
//
// Names follow Hugging Face modules with "encoder.<i>" for "encoder.layer.<i>":
//   embeddings.{word,position,token_type}_embeddings, embeddings.LayerNorm   "embeddings"
//   encoder.<i>.attention.self.{query,key,value}, ...attention.output.dense /
//   .LayerNorm, encoder.<i>.intermediate.dense, encoder.<i>.output.{dense,LayerNorm}
//                                                                  block "encoder.<i>"
//   pooler.dense, pooler.activation ("pooler"); classifier ("classifier").
#include <cmath>
#include <string>

#include "engine/zoo/network_builder.h"
#include "engine/zoo/zoo_models.h"

namespace tp::zoo {
namespace {

constexpr int64_t kVocab = 30522, kHidden = 128, kLayers = 2, kHeads = 2, kInter = 512;
constexpr int64_t kMaxPos = 512, kTypes = 2, kSeq = 128, kClasses = 2;
constexpr int64_t kHeadDim = kHidden / kHeads;
constexpr double kEps = 1e-12;

Attributes ints_attr(const char* key, std::vector<int64_t> v) {
    Attributes a;
    a.set(key, std::move(v));
    return a;
}

// [1, S, H] -> [1, heads, S, dh] with `perm` applied after splitting H into heads.
std::string split_heads(NetworkBuilder& b, const std::string& name, const std::string& x,
                        std::vector<int64_t> perm) {
    std::string y =
        b.op(OpType::Reshape, name + ".reshape", {x}, ints_attr("shape", {0, 0, kHeads, kHeadDim}));
    return b.op(OpType::Transpose, name + ".transpose", {y}, ints_attr("perm", std::move(perm)));
}

std::string encoder_layer(NetworkBuilder& b, int i, const std::string& x) {
    const std::string p = "encoder." + std::to_string(i);
    b.set_block(p);
    const std::string att = p + ".attention.self";
    std::string q =
        split_heads(b, att + ".query", b.linear(att + ".query", x, kHidden), {0, 2, 1, 3});
    std::string k = split_heads(b, att + ".key", b.linear(att + ".key", x, kHidden), {0, 2, 3, 1});
    std::string v =
        split_heads(b, att + ".value", b.linear(att + ".value", x, kHidden), {0, 2, 1, 3});
    std::string s = b.op(OpType::MatMul, att + ".scores", {q, k});  // [1, A, S, S]
    Attributes scale;
    scale.set("scalar", std::sqrt(static_cast<double>(kHeadDim)));
    s = b.op(OpType::Div, att + ".scale", {s}, scale);
    Attributes axis;
    axis.set("axis", int64_t{-1});
    s = b.op(OpType::Softmax, att + ".softmax", {s}, axis);
    std::string ctx = b.op(OpType::MatMul, att + ".context", {s, v});  // [1, A, S, dh]
    ctx =
        b.op(OpType::Transpose, att + ".context.transpose", {ctx}, ints_attr("perm", {0, 2, 1, 3}));
    ctx =
        b.op(OpType::Reshape, att + ".context.reshape", {ctx}, ints_attr("shape", {0, 0, kHidden}));

    std::string h = b.linear(p + ".attention.output.dense", ctx, kHidden);
    h = b.add(p + ".attention.output.add", h, x);
    h = b.layer_norm(p + ".attention.output.LayerNorm", h, kEps);

    std::string f = b.linear(p + ".intermediate.dense", h, kInter);
    f = b.op(OpType::Gelu, p + ".intermediate.gelu", {f});
    f = b.linear(p + ".output.dense", f, kHidden);
    f = b.add(p + ".output.add", f, h);
    return b.layer_norm(p + ".output.LayerNorm", f, kEps);
}

}  // namespace

Result<Network> build_bert_tiny(bool with_weights) {
    NetworkBuilder b("bert-tiny", with_weights);
    std::string ids = b.input("input_ids", {1, kSeq}, DType::i64);
    std::string types = b.input("token_type_ids", {1, kSeq}, DType::i64);
    std::string pos = b.input("position_ids", {1, kSeq}, DType::i64);

    b.set_block("embeddings");
    std::string x = b.embedding("embeddings.word_embeddings", ids, kVocab, kHidden);
    std::string pe = b.embedding("embeddings.position_embeddings", pos, kMaxPos, kHidden);
    std::string te = b.embedding("embeddings.token_type_embeddings", types, kTypes, kHidden);
    x = b.add("embeddings.add_position", x, pe);
    x = b.add("embeddings.add_token_type", x, te);
    x = b.layer_norm("embeddings.LayerNorm", x, kEps);

    for (int i = 0; i < kLayers; ++i) x = encoder_layer(b, i, x);

    b.set_block("pooler");
    Attributes first;
    first.set("starts", std::vector<int64_t>{0});
    first.set("ends", std::vector<int64_t>{1});
    first.set("axes", std::vector<int64_t>{1});
    x = b.op(OpType::Slice, "pooler.first_token", {x}, first);  // [1, 1, H]
    x = b.op(OpType::Squeeze, "pooler.squeeze", {x}, ints_attr("axes", {1}));
    x = b.linear("pooler.dense", x, kHidden);
    x = b.op(OpType::Tanh, "pooler.activation", {x});

    b.set_block("classifier");
    x = b.linear("classifier", x, kClasses);
    return b.finish({x});
}

}  // namespace tp::zoo
