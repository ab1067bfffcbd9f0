#include "engine/io/onnx_work_graph.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace tp::onnx_detail {
namespace {

using TP = onnx::TensorProto;

int64_t elem_bytes(int32_t dtype) {
    switch (dtype) {
        case TP::FLOAT:
        case TP::INT32:
        case TP::UINT32:
            return 4;
        case TP::DOUBLE:
        case TP::INT64:
        case TP::UINT64:
            return 8;
        case TP::FLOAT16:
        case TP::INT16:
        case TP::UINT16:
        case TP::BFLOAT16:
            return 2;
        case TP::INT8:
        case TP::UINT8:
        case TP::BOOL:
            return 1;
        default:
            return 0;
    }
}

float half_to_float(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalize
            exp = 127 - 15 + 1;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                --exp;
            }
            bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

template <class T>
T read_le(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));  // the engine targets little-endian hosts
    return v;
}

// Decodes `bytes` (raw little-endian payload) into c.
void decode_raw(const std::string& bytes, ConstTensor& c) {
    int64_t n = c.numel();
    const char* p = bytes.data();
    if (c.is_float()) {
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k) {
            if (c.dtype == TP::FLOAT)
                v[k] = read_le<float>(p + 4 * k);
            else if (c.dtype == TP::DOUBLE)
                v[k] = static_cast<float>(read_le<double>(p + 8 * k));
            else if (c.dtype == TP::FLOAT16)
                v[k] = half_to_float(read_le<uint16_t>(p + 2 * k));
            else {
                uint32_t b = uint32_t{read_le<uint16_t>(p + 2 * k)} << 16;
                std::memcpy(&v[k], &b, 4);
            }
        }
        c.f = std::make_shared<const std::vector<float>>(std::move(v));
        return;
    }
    c.i.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
        switch (c.dtype) {
            case TP::INT64:
                c.i[k] = read_le<int64_t>(p + 8 * k);
                break;
            case TP::UINT64:
                c.i[k] = static_cast<int64_t>(read_le<uint64_t>(p + 8 * k));
                break;
            case TP::INT32:
                c.i[k] = read_le<int32_t>(p + 4 * k);
                break;
            case TP::UINT32:
                c.i[k] = read_le<uint32_t>(p + 4 * k);
                break;
            case TP::INT16:
                c.i[k] = read_le<int16_t>(p + 2 * k);
                break;
            case TP::UINT16:
                c.i[k] = read_le<uint16_t>(p + 2 * k);
                break;
            case TP::INT8:
                c.i[k] = read_le<int8_t>(p + k);
                break;
            default:
                c.i[k] = read_le<uint8_t>(p + k);
                break;
        }
    }
}

}  // namespace

bool is_float_type(int32_t t) {
    return t == TP::FLOAT || t == TP::DOUBLE || t == TP::FLOAT16 || t == TP::BFLOAT16;
}

bool ConstTensor::is_float() const {
    return is_float_type(dtype);
}

int64_t ConstTensor::numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

double ConstTensor::at(int64_t k) const {
    if (!loaded || k < 0 || k >= numel()) return 0.0;
    return is_float() ? static_cast<double>((*f)[static_cast<size_t>(k)])
                      : static_cast<double>(i[static_cast<size_t>(k)]);
}

std::vector<int64_t> ConstTensor::ints() const {
    if (!loaded) return {};
    if (!is_float()) return i;
    std::vector<int64_t> out;
    for (float v : *f) out.push_back(static_cast<int64_t>(v));
    return out;
}

ConstTensor make_ints(std::vector<int64_t> dims, std::vector<int64_t> values, int32_t dtype) {
    ConstTensor c;
    c.dtype = dtype;
    c.dims = std::move(dims);
    c.i = std::move(values);
    return c;
}

ConstTensor make_floats(std::vector<int64_t> dims, std::vector<float> values, int32_t dtype) {
    ConstTensor c;
    c.dtype = dtype;
    c.dims = std::move(dims);
    c.f = std::make_shared<const std::vector<float>>(std::move(values));
    return c;
}

Result<ConstTensor> load_tensor(const TP& t, const std::string& base_dir) {
    const std::string what = "tensor '" + t.name() + "'";
    ConstTensor c;
    c.dtype = t.data_type();
    if (elem_bytes(c.dtype) == 0)
        return Error{what + " has unsupported data type " + std::to_string(c.dtype)};
    for (int64_t d : t.dims()) {
        if (d < 0 || (d > 0 && c.numel() > (int64_t{1} << 40) / d))
            return Error{what + " has invalid dimensions"};
        c.dims.push_back(d);
    }
    const int64_t n = c.numel();
    const int64_t want = n * elem_bytes(c.dtype);
    if (t.data_location() == TP::EXTERNAL) {
        std::string location;
        int64_t offset = 0, length = -1;
        for (const auto& kv : t.external_data()) {
            try {
                if (kv.key() == "location")
                    location = kv.value();
                else if (kv.key() == "offset")
                    offset = std::stoll(kv.value());
                else if (kv.key() == "length")
                    length = std::stoll(kv.value());
            } catch (const std::exception&) {
                return Error{what + ": external data entry '" + kv.key() + "' is not a number"};
            }
        }
        if (location.empty()) return Error{what + " is stored externally but names no location"};
        if (length < 0) length = want;
        if (length != want)
            return Error{what + ": external data has " + std::to_string(length) +
                         " bytes, expected " + std::to_string(want)};
        std::filesystem::path file = base_dir.empty() ? std::filesystem::path(location)
                                                      : std::filesystem::path(base_dir) / location;
        std::error_code ec;
        auto file_size = std::filesystem::file_size(file, ec);
        std::ifstream in(file, std::ios::binary);
        if (base_dir.empty() || ec || !in) {  // weights absent: keep the architecture
            c.loaded = false;
            return c;
        }
        if (offset < 0 || static_cast<uint64_t>(offset + length) > file_size)
            return Error{what + ": external file '" + file.string() + "' has " +
                         std::to_string(file_size) + " bytes, fewer than offset " +
                         std::to_string(offset) + " + length " + std::to_string(length)};
        std::string bytes(static_cast<size_t>(length), '\0');
        in.seekg(offset);
        if (!in.read(bytes.data(), length))
            return Error{what + ": external file '" + file.string() + "' is shorter than offset " +
                         std::to_string(offset) + " + length " + std::to_string(length)};
        decode_raw(bytes, c);
        return c;
    }
    if (t.has_raw_data()) {
        if (static_cast<int64_t>(t.raw_data().size()) != want)
            return Error{what + ": raw_data has " + std::to_string(t.raw_data().size()) +
                         " bytes, expected " + std::to_string(want) + " for dims " +
                         std::to_string(n) + " elements"};
        decode_raw(t.raw_data(), c);
        return c;
    }
    auto count_error = [&](int64_t have) {
        return Error{what + " has " + std::to_string(have) + " values, expected " +
                     std::to_string(n)};
    };
    if (c.dtype == TP::FLOAT) {
        if (t.float_data_size() != n) return count_error(t.float_data_size());
        c.f = std::make_shared<const std::vector<float>>(t.float_data().begin(),
                                                         t.float_data().end());
    } else if (c.dtype == TP::DOUBLE) {
        if (t.double_data_size() != n) return count_error(t.double_data_size());
        c.f = std::make_shared<const std::vector<float>>(t.double_data().begin(),
                                                         t.double_data().end());
    } else if (c.dtype == TP::FLOAT16 || c.dtype == TP::BFLOAT16) {
        if (t.int32_data_size() != n) return count_error(t.int32_data_size());
        std::vector<float> v;
        for (int32_t bits : t.int32_data()) {
            uint16_t h = static_cast<uint16_t>(bits);
            if (c.dtype == TP::FLOAT16) {
                v.push_back(half_to_float(h));
            } else {
                uint32_t b = uint32_t{h} << 16;
                float x;
                std::memcpy(&x, &b, 4);
                v.push_back(x);
            }
        }
        c.f = std::make_shared<const std::vector<float>>(std::move(v));
    } else if (c.dtype == TP::INT64) {
        if (t.int64_data_size() != n) return count_error(t.int64_data_size());
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
    } else if (c.dtype == TP::UINT64 || c.dtype == TP::UINT32) {
        if (t.uint64_data_size() != n) return count_error(t.uint64_data_size());
        for (uint64_t v : t.uint64_data()) c.i.push_back(static_cast<int64_t>(v));
    } else {
        if (t.int32_data_size() != n) return count_error(t.int32_data_size());
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
    }
    return c;
}

void to_tensor_proto(const std::string& name, const ConstTensor& c, TP& out) {
    out.Clear();
    out.set_name(name);
    // Inference sees float values as FLOAT and integers as INT64 unless the dtype says otherwise.
    out.set_data_type(c.dtype);
    for (int64_t d : c.dims) out.add_dims(d);
    if (!c.loaded) return;
    if (c.is_float()) {
        if (c.numel() > 64 || c.dtype != TP::FLOAT) return;
        for (float v : *c.f) out.add_float_data(v);
    } else if (c.dtype == TP::INT64) {
        for (int64_t v : c.i) out.add_int64_data(v);
    } else if (c.dtype == TP::UINT64 || c.dtype == TP::UINT32) {
        for (int64_t v : c.i) out.add_uint64_data(static_cast<uint64_t>(v));
    } else {
        for (int64_t v : c.i) out.add_int32_data(static_cast<int32_t>(v));
    }
}

const ConstTensor* WorkGraph::constant(const std::string& name) const {
    auto it = consts.find(name);
    return it == consts.end() ? nullptr : &it->second;
}

std::map<std::string, int> WorkGraph::consumer_counts() const {
    std::map<std::string, int> count;
    for (const auto& n : nodes)
        for (const auto& in : n.input())
            if (!in.empty()) ++count[in];
    for (const auto& o : outputs) ++count[o];
    return count;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

std::optional<int64_t> attr_int(const onnx::NodeProto& n, const std::string& name) {
    const auto* a = find_attr(n, name);
    if (!a || a->type() != onnx::AttributeProto::INT) return std::nullopt;
    return a->i();
}

std::optional<double> attr_float(const onnx::NodeProto& n, const std::string& name) {
    const auto* a = find_attr(n, name);
    if (!a) return std::nullopt;
    if (a->type() == onnx::AttributeProto::FLOAT) return static_cast<double>(a->f());
    if (a->type() == onnx::AttributeProto::INT) return static_cast<double>(a->i());
    return std::nullopt;
}

std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& n, const std::string& name) {
    const auto* a = find_attr(n, name);
    if (!a || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::string> attr_string(const onnx::NodeProto& n, const std::string& name) {
    const auto* a = find_attr(n, name);
    if (!a || a->type() != onnx::AttributeProto::STRING) return std::nullopt;
    return a->s();
}

std::string input_at(const onnx::NodeProto& n, int i) {
    return i < n.input_size() ? n.input(i) : std::string{};
}

std::string describe(const onnx::NodeProto& n) {
    std::string name = n.name().empty()
                           ? (n.output_size() ? "producing '" + n.output(0) + "'" : "(unnamed)")
                           : "'" + n.name() + "'";
    return n.op_type() + " node " + name;
}

}  // namespace tp::onnx_detail
