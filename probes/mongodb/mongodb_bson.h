// BSON documents for the MongoDB probe, on top of libbson (Debian's
// libbson-dev, from the MongoDB C driver project).
//
// Reading: a Document owns a private copy of the bytes and is only ever
// made by Document::parse(), which checks, before anything reads a field:
//   1. the length prefix and the trailing NUL (bson_init_static);
//   2. the nesting depth, at most kMaxDepth, with an iterative walk. libbson
//      1.23's bson_validate() recurses once per level with no limit of its
//      own, so a 48 MB reply of nested documents (7 bytes a level) would
//      otherwise overflow the stack before validation could refuse it;
//   3. every key and string valid UTF-8 (they go into JSON results),
//      checked by the same walk with bson_utf8_validate(): libbson 1.23.1's
//      bson_validate(BSON_VALIDATE_UTF8) lets invalid sequences through;
//   4. bson_validate(): every element header and length inside the bounds.
// After that libbson's iterators are safe on the bytes by construction.
// The typed getters never throw and answer nullopt / empty for a field
// that is absent or of another type.
//
// Writing: Builder appends to a libbson bson_t; a document that grows past
// what libbson holds makes finish() return nullopt, never a partial document.
//
// Threading: values; no shared state. Failure behaviour: no exceptions
// (std::bad_alloc aside).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <bson/bson.h>

#include "common/result.h"

namespace plprobe::probes::mongodb {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Nesting accepted in a reply. The MongoDB server itself refuses documents
// deeper than 100 levels for storage (BSONDepth::kDefaultMaxAllowableDepth)
// and no command reply plprobe reads goes beyond 5; 100 keeps every real
// reply and bounds validation's recursion.
inline constexpr int kMaxDepth = 100;

// The smallest BSON document: int32 length 5 and the terminating NUL.
inline constexpr std::size_t kMinDocumentBytes = 5;

struct Timestamp {
  std::uint32_t seconds = 0;
  std::uint32_t increment = 0;
};

class Document {
 public:
  Document();  // the empty document {}

  // Checks `bytes` as described above and copies them. nullopt with one
  // clause in `problem` ("nested deeper than 100 levels", ...).
  static std::optional<Document> parse(ByteView bytes, std::string& problem);

  ByteView bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.size() <= kMinDocumentBytes; }

  bool has(std::string_view key) const;
  // The first key, e.g. the command name of a command document.
  std::string first_key() const;
  // UTF-8 strings only.
  std::optional<std::string> string(std::string_view key) const;
  // A boolean, or a number read as true when non-zero (servers send ok: 1.0).
  std::optional<bool> boolean(std::string_view key) const;
  // int32, int64, or a double with an integral value in int64 range.
  std::optional<std::int64_t> integer(std::string_view key) const;
  // Any numeric type as a double.
  std::optional<double> number(std::string_view key) const;
  std::optional<Timestamp> timestamp(std::string_view key) const;
  std::optional<std::int64_t> datetime_ms(std::string_view key) const;
  // Binary data of any subtype (SCRAM payloads are subtype 0).
  std::optional<std::string> binary(std::string_view key) const;
  // An embedded document or array, as a Document of its own.
  std::optional<Document> document(std::string_view key) const;
  // The UTF-8 strings of an array (other element types are skipped).
  std::vector<std::string> strings(std::string_view key) const;
  // The documents of an array (other element types are skipped).
  std::vector<Document> documents(std::string_view key) const;
  // Every key, in order.
  std::vector<std::string> keys() const;

 private:
  explicit Document(Bytes bytes) : bytes_(std::move(bytes)) {}
  // A libbson view of bytes_; the bytes were checked at parse time.
  bool view(bson_t& out) const;
  bool find(std::string_view key, bson_iter_t& iter) const;

  Bytes bytes_;
};

// The server's verdict in a command reply: ok, and when not ok the
// errmsg/code/codeName it gave (MongoDB manual, "Command Response" and
// the error codes list).
struct CommandError {
  std::int64_t code = 0;
  std::string code_name;
  std::string message;
};
// nullopt when the reply says ok: 1; a CommandError otherwise (ok: 0, or no
// ok field at all, which no command reply lacks). OP_REPLY's "$err" form
// (a failed legacy query) is read the same way.
std::optional<CommandError> command_error(const Document& reply);

// Appends fields to a new document. Appending after a failure does nothing;
// finish() then returns nullopt.
class Builder {
 public:
  Builder();
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  Builder& int32(std::string_view key, std::int32_t value);
  Builder& int64(std::string_view key, std::int64_t value);
  Builder& number(std::string_view key, double value);
  Builder& boolean(std::string_view key, bool value);
  Builder& string(std::string_view key, std::string_view value);
  Builder& binary(std::string_view key, std::string_view bytes);  // subtype 0 (generic)
  Builder& document(std::string_view key, const Document& value);
  Builder& document(std::string_view key, Builder& value);  // value is left as it was
  Builder& strings(std::string_view key, const std::vector<std::string>& values);
  Builder& append_all(const Document& fields);  // every field of `fields`, in order

  std::optional<Document> finish() const;

 private:
  bson_t* bson_;
  bool failed_ = false;
};

// A BSON string with its bytes checked as UTF-8 by libbson; used to bring
// arbitrary input (user names) into a document safely.
bool is_valid_utf8(std::string_view text);

}  // namespace plprobe::probes::mongodb
