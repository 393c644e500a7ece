#include "probes/postgres/postgres_libpq.h"

#include <libpq-fe.h>

#include <cctype>

#include <fmt/format.h>

#include "probes/transport/descriptor_wait.h"

namespace plprobe::probes::postgres {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool is_sqlstate(std::string_view text) {
  if (text.size() != 5) return false;
  for (char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

}  // namespace

LibpqError parse_libpq_error(std::string_view text) {
  // With PQERRORS_VERBOSE a server error reads "SEVERITY:  SQLSTATE:  text"
  // (libpq's pqBuildErrorMessage3: severity, two spaces, the code, a colon
  // and two spaces), followed by DETAIL:/HINT:/LOCATION: lines. libpq puts
  // "connection to server at "H" (A), port P failed: " before each
  // attempt's error; with sslmode=prefer there can be two attempts, and the
  // last one is the one that decided.
  LibpqError error;
  std::vector<std::string> lines;
  std::string hint;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.starts_with("LOCATION:") || line.starts_with("DETAIL:")) continue;
    if (line.starts_with("HINT:")) {
      hint = std::string(trim(line.substr(5)));
      continue;
    }
    if (line.starts_with("connection to server")) {
      if (auto failed = line.find("failed: "); failed != std::string_view::npos) line = line.substr(failed + 8);
    }
    for (std::string_view severity : {"FATAL:", "ERROR:", "PANIC:"}) {
      if (!line.starts_with(severity)) continue;
      std::string_view rest = trim(line.substr(severity.size()));
      const auto colon = rest.find(':');
      if (colon != std::string_view::npos && is_sqlstate(rest.substr(0, colon))) {
        error.severity = std::string(severity.substr(0, severity.size() - 1));
        error.sqlstate = std::string(rest.substr(0, colon));
        rest = trim(rest.substr(colon + 1));
      } else {
        error.severity = std::string(severity.substr(0, severity.size() - 1));
        error.sqlstate.clear();
      }
      line = rest;
      lines.clear();  // a later attempt's server error supersedes what came before
      break;
    }
    lines.emplace_back(line);
  }
  for (const auto& line : lines) {
    if (!error.message.empty()) error.message += "; ";
    error.message += line;
  }
  if (!hint.empty()) error.message += " (hint: " + hint + ")";
  if (error.message.empty()) error.message = "libpq reported a failure without a message";
  return error;
}

LibpqSession::~LibpqSession() {
  // Sends Terminate when connected (libpq writes it on its non-blocking
  // socket and does not wait) and closes libpq's socket.
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string LibpqSession::parameter(const char* name) const {
  if (conn_ == nullptr) return {};
  const char* value = PQparameterStatus(conn_, name);
  return value != nullptr ? std::string(value) : std::string();
}

std::string LibpqSession::tls_version() const {
  if (conn_ == nullptr || PQsslInUse(conn_) == 0) return {};
  const char* version = PQsslAttribute(conn_, "protocol");
  return version != nullptr ? std::string(version) : std::string();
}

LibpqError LibpqSession::connection_error() const {
  if (conn_ == nullptr) return {false, "", "", "libpq could not allocate a connection"};
  return parse_libpq_error(PQerrorMessage(conn_));
}

awaitable<std::optional<LibpqError>> LibpqSession::wait_for(bool write, Deadline& deadline) {
  const int fd = PQsocket(conn_);
  if (fd < 0) co_return connection_error();
  error_code ec;
  const auto readiness = co_await wait_descriptor(
      executor_, fd, write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
      deadline, std::nullopt, ec);
  if (readiness == Readiness::ready) co_return std::nullopt;
  if (readiness == Readiness::deadline) {
    LibpqError error;
    error.deadline = true;
    error.message = "the server did not finish before the deadline";
    co_return error;
  }
  co_return LibpqError{false, "", "", fmt::format("cannot wait on libpq's socket: {}", ec.message())};
}

awaitable<std::optional<LibpqError>> LibpqSession::connect(
    const std::vector<std::pair<std::string, std::string>>& parameters, Deadline& deadline) {
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : parameters) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) co_return connection_error();
  // SQLSTATEs in error texts, so failures are classified by code, not by
  // (possibly translated) words.
  PQsetErrorVerbosity(conn_, PQERRORS_VERBOSE);
  // 34.1: after PQconnectStart, behave "as if PQconnectPoll had last
  // returned PGRES_POLLING_WRITING".
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (true) {
    if (state == PGRES_POLLING_OK) break;
    if (state == PGRES_POLLING_FAILED) co_return connection_error();
    // (co_await stays out of conditions: g++ 12 miscompiles some frames that have it there.)
    auto failed = co_await wait_for(state == PGRES_POLLING_WRITING, deadline);
    if (failed) co_return failed;
    state = PQconnectPoll(conn_);
  }
  // Queries go out with PQsendQueryParams and must not block on a full
  // send buffer (34.10 "Asynchronous Command Processing", PQsetnonblocking).
  if (PQsetnonblocking(conn_, 1) != 0) co_return connection_error();
  co_return std::nullopt;
}

awaitable<QueryResult> LibpqSession::query(const std::string& sql,
                                           const std::vector<std::optional<std::string>>& parameters,
                                           Deadline& deadline, std::optional<LibpqError>& error) {
  QueryResult out;
  error.reset();
  std::vector<const char*> values;
  for (const auto& parameter : parameters) values.push_back(parameter ? parameter->c_str() : nullptr);
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, /*resultFormat=*/0) == 0) {
    error = connection_error();
    co_return out;
  }
  // 34.4: "After sending any command or data on a nonblocking connection,
  // call PQflush. If it returns 1, wait for the socket to become read- or
  // write-ready."
  while (true) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) {
      error = connection_error();
      co_return out;
    }
    auto failed = co_await wait_for(/*write=*/true, deadline);
    if (failed) {
      error = failed;
      co_return out;
    }
  }
  bool have_result = false;
  while (true) {
    while (PQisBusy(conn_) != 0) {
      auto failed = co_await wait_for(/*write=*/false, deadline);
      if (failed) {
        error = failed;
        co_return out;
      }
      if (PQconsumeInput(conn_) == 0) {
        error = connection_error();
        co_return out;
      }
    }
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) break;
    const auto status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK) {
      out = QueryResult{};
      have_result = true;
      for (int column = 0; column < PQnfields(result); ++column) out.columns.emplace_back(PQfname(result, column));
      for (int row = 0; row < PQntuples(result); ++row) {
        auto& values_out = out.rows.emplace_back();
        for (int column = 0; column < PQnfields(result); ++column) {
          if (PQgetisnull(result, row, column) != 0) {
            values_out.emplace_back(std::nullopt);
          } else {
            values_out.emplace_back(std::string(PQgetvalue(result, row, column),
                                                static_cast<std::size_t>(PQgetlength(result, row, column))));
          }
        }
      }
    } else if (status != PGRES_COMMAND_OK && !error) {
      LibpqError failed;
      const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
      const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
      failed.severity = severity ? severity : "";
      failed.sqlstate = sqlstate ? sqlstate : "";
      failed.message = message ? message : std::string(trim(PQresultErrorMessage(result)));
      error = std::move(failed);
    }
    PQclear(result);
  }
  if (!error && !have_result) error = LibpqError{false, "", "", "the query returned no rows"};
  co_return out;
}

}  // namespace plprobe::probes::postgres
