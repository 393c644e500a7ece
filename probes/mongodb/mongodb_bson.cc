#include "probes/mongodb/mongodb_bson.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace plprobe::probes::mongodb {
namespace {

// An empty document: length 5, no elements, the final NUL.
const Bytes kEmptyDocument = {5, 0, 0, 0, 0};

// bson_iter_t is declared 128-byte aligned through a typedef attribute,
// which std::allocator<bson_iter_t> does not see (g++ drops attributes of
// typedefs in template arguments), so a vector of them would be misaligned.
// A struct with its own alignas makes the allocator align each frame.
struct alignas(128) Frame {
  bson_iter_t iter;
};

// Walks every element once, depth-first, with an explicit stack, so a
// hostile nesting costs heap (bounded by kMaxDepth iterators), never stack.
bool check_structure(const bson_t& document, std::string& problem) {
  std::vector<Frame> stack;
  stack.reserve(8);
  Frame root;
  if (!bson_iter_init(&root.iter, &document)) {
    problem = "its document cannot be iterated";
    return false;
  }
  stack.push_back(root);
  while (!stack.empty()) {
    bson_iter_t& top = stack.back().iter;
    if (!bson_iter_next(&top)) {
      if (top.err_off != 0) {
        problem = fmt::format("its document is corrupt at byte {}", top.err_off);
        return false;
      }
      stack.pop_back();
      continue;
    }
    // Keys and text values must be valid UTF-8 (they end up in JSON).
    // libbson 1.23.1's bson_validate(BSON_VALIDATE_UTF8) lets invalid
    // sequences through (seen here: "\xff\xfe" passes), so check them here.
    const char* key = bson_iter_key(&top);
    if (!bson_utf8_validate(key, std::strlen(key), false)) {
      problem = "its document has a key that is not valid UTF-8";
      return false;
    }
    std::uint32_t text_length = 0;
    const char* text = nullptr;
    if (BSON_ITER_HOLDS_UTF8(&top)) text = bson_iter_utf8(&top, &text_length);
    if (BSON_ITER_HOLDS_CODE(&top)) text = bson_iter_code(&top, &text_length);
    if (BSON_ITER_HOLDS_SYMBOL(&top)) text = bson_iter_symbol(&top, &text_length);
    if (text != nullptr && !bson_utf8_validate(text, text_length, true)) {
      problem = fmt::format("its document has a string at key '{}' that is not valid UTF-8", key);
      return false;
    }
    if (BSON_ITER_HOLDS_REGEX(&top)) {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&top, &options);
      if (!bson_utf8_validate(pattern, std::strlen(pattern), false) ||
          (options != nullptr && !bson_utf8_validate(options, std::strlen(options), false))) {
        problem = fmt::format("its document has a regular expression at key '{}' that is not valid UTF-8", key);
        return false;
      }
    }
    // Code with scope (0x0F) hides a document inside a string-like value,
    // where the depth walk cannot see it; it is deprecated and no reply
    // plprobe reads has one.
    if (BSON_ITER_HOLDS_CODEWSCOPE(&top)) {
      problem = "its document holds a deprecated code-with-scope element";
      return false;
    }
    if (BSON_ITER_HOLDS_DOCUMENT(&top) || BSON_ITER_HOLDS_ARRAY(&top)) {
      if (stack.size() >= static_cast<std::size_t>(kMaxDepth)) {
        problem = fmt::format("its document is nested deeper than {} levels", kMaxDepth);
        return false;
      }
      Frame child;
      if (!bson_iter_recurse(&top, &child.iter)) {
        problem = fmt::format("an embedded document at key '{}' is corrupt", bson_iter_key(&top));
        return false;
      }
      stack.push_back(child);  // `top` is not used after this (push_back may move it)
    }
  }
  return true;
}

std::string key_string(std::string_view key) { return std::string(key); }

}  // namespace

Document::Document() : bytes_(kEmptyDocument) {}

std::optional<Document> Document::parse(ByteView bytes, std::string& problem) {
  if (bytes.size() < kMinDocumentBytes) {
    problem = fmt::format("a document needs at least {} bytes, got {}", kMinDocumentBytes, bytes.size());
    return std::nullopt;
  }
  const auto declared = static_cast<std::uint32_t>(bytes[0]) | static_cast<std::uint32_t>(bytes[1]) << 8 |
                        static_cast<std::uint32_t>(bytes[2]) << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
  if (declared != bytes.size()) {
    problem = fmt::format("a document declares {} bytes but {} are there", declared, bytes.size());
    return std::nullopt;
  }
  bson_t view;
  if (!bson_init_static(&view, bytes.data(), bytes.size())) {
    problem = "a document does not end with its terminating NUL";
    return std::nullopt;
  }
  if (!check_structure(view, problem)) return std::nullopt;
  std::size_t offset = 0;
  if (!bson_validate(&view, BSON_VALIDATE_UTF8, &offset)) {
    problem = fmt::format("its document fails BSON validation at byte {} (bad element or invalid UTF-8)", offset);
    return std::nullopt;
  }
  return Document(Bytes(bytes.begin(), bytes.end()));
}

bool Document::view(bson_t& out) const { return bson_init_static(&out, bytes_.data(), bytes_.size()); }

bool Document::find(std::string_view key, bson_iter_t& iter) const {
  bson_t document;
  if (!view(document)) return false;
  const std::string name = key_string(key);
  return bson_iter_init_find(&iter, &document, name.c_str());
}

bool Document::has(std::string_view key) const {
  bson_iter_t iter;
  return find(key, iter);
}

std::string Document::first_key() const {
  bson_t document;
  bson_iter_t iter;
  if (!view(document) || !bson_iter_init(&iter, &document) || !bson_iter_next(&iter)) return {};
  return bson_iter_key(&iter);
}

std::optional<std::string> Document::string(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter) || !BSON_ITER_HOLDS_UTF8(&iter)) return std::nullopt;
  std::uint32_t length = 0;
  const char* text = bson_iter_utf8(&iter, &length);
  return std::string(text, length);
}

std::optional<bool> Document::boolean(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter)) return std::nullopt;
  if (BSON_ITER_HOLDS_BOOL(&iter)) return bson_iter_bool(&iter);
  if (BSON_ITER_HOLDS_INT32(&iter)) return bson_iter_int32(&iter) != 0;
  if (BSON_ITER_HOLDS_INT64(&iter)) return bson_iter_int64(&iter) != 0;
  if (BSON_ITER_HOLDS_DOUBLE(&iter)) return bson_iter_double(&iter) != 0.0;
  return std::nullopt;
}

std::optional<std::int64_t> Document::integer(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter)) return std::nullopt;
  if (BSON_ITER_HOLDS_INT32(&iter)) return bson_iter_int32(&iter);
  if (BSON_ITER_HOLDS_INT64(&iter)) return bson_iter_int64(&iter);
  if (BSON_ITER_HOLDS_DOUBLE(&iter)) {
    const double value = bson_iter_double(&iter);
    // 2^63 is the first double past int64's range; NaN fails both tests.
    if (!(value >= -9.2233720368547758e18 && value < 9.2233720368547758e18) || std::trunc(value) != value) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
  }
  return std::nullopt;
}

std::optional<double> Document::number(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter)) return std::nullopt;
  if (BSON_ITER_HOLDS_DOUBLE(&iter)) return bson_iter_double(&iter);
  if (BSON_ITER_HOLDS_INT32(&iter)) return static_cast<double>(bson_iter_int32(&iter));
  if (BSON_ITER_HOLDS_INT64(&iter)) return static_cast<double>(bson_iter_int64(&iter));
  return std::nullopt;
}

std::optional<Timestamp> Document::timestamp(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter) || !BSON_ITER_HOLDS_TIMESTAMP(&iter)) return std::nullopt;
  Timestamp out;
  bson_iter_timestamp(&iter, &out.seconds, &out.increment);
  return out;
}

std::optional<std::int64_t> Document::datetime_ms(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter) || !BSON_ITER_HOLDS_DATE_TIME(&iter)) return std::nullopt;
  return bson_iter_date_time(&iter);
}

std::optional<std::string> Document::binary(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter) || !BSON_ITER_HOLDS_BINARY(&iter)) return std::nullopt;
  bson_subtype_t subtype{};
  std::uint32_t length = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_binary(&iter, &subtype, &length, &data);
  if (data == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::optional<Document> Document::document(std::string_view key) const {
  bson_iter_t iter;
  if (!find(key, iter)) return std::nullopt;
  std::uint32_t length = 0;
  const std::uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
    bson_iter_document(&iter, &length, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(&iter)) {
    bson_iter_array(&iter, &length, &data);
  } else {
    return std::nullopt;
  }
  if (data == nullptr) return std::nullopt;
  // Already validated as part of this document: a copy is all that is needed.
  return Document(Bytes(data, data + length));
}

std::vector<std::string> Document::strings(std::string_view key) const {
  std::vector<std::string> out;
  bson_iter_t iter;
  bson_iter_t child;
  if (!find(key, iter) || !BSON_ITER_HOLDS_ARRAY(&iter) || !bson_iter_recurse(&iter, &child)) return out;
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_UTF8(&child)) continue;
    std::uint32_t length = 0;
    const char* text = bson_iter_utf8(&child, &length);
    out.emplace_back(text, length);
  }
  return out;
}

std::vector<Document> Document::documents(std::string_view key) const {
  std::vector<Document> out;
  bson_iter_t iter;
  bson_iter_t child;
  if (!find(key, iter) || !BSON_ITER_HOLDS_ARRAY(&iter) || !bson_iter_recurse(&iter, &child)) return out;
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&child)) continue;
    std::uint32_t length = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&child, &length, &data);
    if (data != nullptr) out.push_back(Document(Bytes(data, data + length)));
  }
  return out;
}

std::vector<std::string> Document::keys() const {
  std::vector<std::string> out;
  bson_t document;
  bson_iter_t iter;
  if (!view(document) || !bson_iter_init(&iter, &document)) return out;
  while (bson_iter_next(&iter)) out.emplace_back(bson_iter_key(&iter));
  return out;
}

std::optional<CommandError> command_error(const Document& reply) {
  if (auto legacy = reply.string("$err")) {
    return CommandError{reply.integer("code").value_or(0), reply.string("codeName").value_or(""), *legacy};
  }
  const auto ok = reply.number("ok");
  const auto ok_bool = reply.boolean("ok");
  if ((ok && *ok == 1.0) || (!ok && ok_bool && *ok_bool)) return std::nullopt;
  CommandError error;
  error.code = reply.integer("code").value_or(0);
  error.code_name = reply.string("codeName").value_or("");
  error.message = reply.string("errmsg").value_or(ok || ok_bool ? "the server answered ok: 0 without errmsg"
                                                                : "the reply has no 'ok' field");
  return error;
}

Builder::Builder() : bson_(bson_new()) {}

Builder::~Builder() { bson_destroy(bson_); }

// libbson's append functions take a key length as int; keys here are short
// literals or user names that is_valid_utf8() checked.
#define PLPROBE_KEY(key) (key).data(), static_cast<int>((key).size())

Builder& Builder::int32(std::string_view key, std::int32_t value) {
  failed_ = failed_ || !bson_append_int32(bson_, PLPROBE_KEY(key), value);
  return *this;
}

Builder& Builder::int64(std::string_view key, std::int64_t value) {
  failed_ = failed_ || !bson_append_int64(bson_, PLPROBE_KEY(key), value);
  return *this;
}

Builder& Builder::number(std::string_view key, double value) {
  failed_ = failed_ || !bson_append_double(bson_, PLPROBE_KEY(key), value);
  return *this;
}

Builder& Builder::boolean(std::string_view key, bool value) {
  failed_ = failed_ || !bson_append_bool(bson_, PLPROBE_KEY(key), value);
  return *this;
}

Builder& Builder::string(std::string_view key, std::string_view value) {
  failed_ = failed_ || value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
            !bson_append_utf8(bson_, PLPROBE_KEY(key), value.data(), static_cast<int>(value.size()));
  return *this;
}

Builder& Builder::binary(std::string_view key, std::string_view bytes) {
  failed_ = failed_ || bytes.size() > std::numeric_limits<std::uint32_t>::max() ||
            !bson_append_binary(bson_, PLPROBE_KEY(key), BSON_SUBTYPE_BINARY,
                                reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                static_cast<std::uint32_t>(bytes.size()));
  return *this;
}

Builder& Builder::document(std::string_view key, const Document& value) {
  bson_t child;
  failed_ = failed_ || !bson_init_static(&child, value.bytes().data(), value.size()) ||
            !bson_append_document(bson_, PLPROBE_KEY(key), &child);
  return *this;
}

Builder& Builder::document(std::string_view key, Builder& value) {
  failed_ = failed_ || value.failed_ || !bson_append_document(bson_, PLPROBE_KEY(key), value.bson_);
  return *this;
}

Builder& Builder::strings(std::string_view key, const std::vector<std::string>& values) {
  bson_t child;
  if (failed_ || !bson_append_array_begin(bson_, PLPROBE_KEY(key), &child)) {
    failed_ = true;
    return *this;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string index = std::to_string(i);
    if (!bson_append_utf8(&child, index.c_str(), static_cast<int>(index.size()), values[i].data(),
                          static_cast<int>(values[i].size()))) {
      failed_ = true;
    }
  }
  failed_ = !bson_append_array_end(bson_, &child) || failed_;
  return *this;
}

Builder& Builder::append_all(const Document& fields) {
  bson_t source;
  failed_ = failed_ || !bson_init_static(&source, fields.bytes().data(), fields.size()) || !bson_concat(bson_, &source);
  return *this;
}

#undef PLPROBE_KEY

std::optional<Document> Builder::finish() const {
  if (failed_) return std::nullopt;
  const std::uint8_t* data = bson_get_data(bson_);
  std::string ignored;
  return Document::parse(ByteView(data, bson_->len), ignored);
}

bool is_valid_utf8(std::string_view text) {
  return bson_utf8_validate(text.data(), text.size(), false);
}

}  // namespace plprobe::probes::mongodb
