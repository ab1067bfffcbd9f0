// Builds small ONNX models in tests with the protobuf API.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <string>
#include <vector>

namespace tp::test {

inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}
#define EXPECT_CONTAINS(text, part) EXPECT_TRUE(::tp::test::contains((text), (part)))

class OnnxBuilder {
  public:
    explicit OnnxBuilder(int64_t opset = 13) {
        m_.set_ir_version(7);
        auto* o = m_.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        m_.mutable_graph()->set_name("test");
    }

    onnx::GraphProto& graph() { return *m_.mutable_graph(); }
    onnx::ModelProto& model() { return m_; }
    std::string bytes() const { return m_.SerializeAsString(); }

    // dims: -1 is a symbolic dimension named "N".
    void input(const std::string& name, const std::vector<int64_t>& dims,
               int32_t elem = onnx::TensorProto::FLOAT) {
        auto* vi = graph().add_input();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(elem);
        auto* s = tt->mutable_shape();
        for (int64_t d : dims) {
            if (d < 0)
                s->add_dim()->set_dim_param("N");
            else
                s->add_dim()->set_dim_value(d);
        }
    }

    void output(const std::string& name) {
        auto* vi = graph().add_output();
        vi->set_name(name);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    }

    onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out, const std::string& name = {}) {
        auto* n = graph().add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const auto& i : in) n->add_input(i);
        for (const auto& o : out) n->add_output(o);
        return *n;
    }

    // raw=true stores little-endian raw_data, else float_data.
    onnx::TensorProto& floats(const std::string& name, const std::vector<int64_t>& dims,
                              const std::vector<float>& v, bool raw = false) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims) t->add_dims(d);
        if (raw) {
            std::string bytes(v.size() * 4, '\0');
            std::memcpy(bytes.data(), v.data(), bytes.size());
            t->set_raw_data(bytes);
        } else {
            for (float x : v) t->add_float_data(x);
        }
        return *t;
    }

    onnx::TensorProto& ints(const std::string& name, const std::vector<int64_t>& dims,
                            const std::vector<int64_t>& v) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        for (int64_t d : dims) t->add_dims(d);
        for (int64_t x : v) t->add_int64_data(x);
        return *t;
    }

    // A Constant node holding an int64 tensor (dims {} for a scalar).
    void const_ints(const std::string& out, const std::vector<int64_t>& dims,
                    const std::vector<int64_t>& v) {
        auto& n = node("Constant", {}, {out}, "/const/" + out);
        auto* a = n.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        auto* t = a->mutable_t();
        t->set_data_type(onnx::TensorProto::INT64);
        for (int64_t d : dims) t->add_dims(d);
        for (int64_t x : v) t->add_int64_data(x);
    }

    void const_float(const std::string& out, float v) {
        auto& n = node("Constant", {}, {out}, "/const/" + out);
        auto* a = n.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
        a->mutable_t()->add_float_data(v);
    }

    static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attr(onnx::NodeProto& n, const std::string& name, float v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
    }
    static void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(v);
    }

  private:
    onnx::ModelProto m_;
};

inline std::vector<float> iota_floats(size_t n, float start = 0.0f, float step = 1.0f) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
    return v;
}

}  // namespace tp::test
