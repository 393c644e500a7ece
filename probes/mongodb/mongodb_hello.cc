#include "probes/mongodb/mongodb_hello.h"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace plprobe::probes::mongodb {
namespace {

struct WireRelease {
  std::int64_t wire;
  std::string_view release;
  bool rapid;
};

// See server_version_for() in the header for the sources.
constexpr std::array kReleases = {
    WireRelease{0, "2.4 or older", false},
    WireRelease{1, "2.6", false},
    WireRelease{2, "2.6", false},
    WireRelease{3, "3.0", false},
    WireRelease{4, "3.2", false},
    WireRelease{5, "3.4", false},
    WireRelease{6, "3.6", false},
    WireRelease{7, "4.0", false},
    WireRelease{8, "4.2", false},
    WireRelease{9, "4.4", false},
    WireRelease{10, "4.7 (development release)", true},
    WireRelease{11, "4.8 (development release)", true},
    WireRelease{12, "4.9 (development release)", true},
    WireRelease{13, "5.0", false},
    WireRelease{14, "5.1", true},
    WireRelease{15, "5.2", true},
    WireRelease{16, "5.3", true},
    WireRelease{17, "6.0", false},
    WireRelease{18, "6.1", true},
    WireRelease{19, "6.2", true},
    WireRelease{20, "6.3", true},
    WireRelease{21, "7.0", false},
    WireRelease{22, "7.1", true},
    WireRelease{23, "7.2", true},
    WireRelease{24, "7.3", true},
    WireRelease{25, "8.0", false},
    WireRelease{26, "8.1", true},
    WireRelease{27, "8.2", true},
};

Json optional_json(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }
Json optional_json(const std::optional<std::int64_t>& value) { return value ? Json(*value) : Json(nullptr); }

}  // namespace

std::string_view to_string(Topology topology) {
  switch (topology) {
    case Topology::replica_set_member:
      return "replica_set_member";
    case Topology::uninitiated_member:
      return "uninitiated_replica_set_member";
    case Topology::mongos:
      return "mongos";
    case Topology::standalone:
      return "standalone";
  }
  return "standalone";
}

Status parse_hello(const Document& reply, HelloInfo& out) {
  if (auto error = command_error(reply)) {
    return Status::failure(Code::mongodb_protocol_error,
                           fmt::format("the server refused the handshake: {} (code {}{})", error->message, error->code,
                                       error->code_name.empty() ? "" : " " + error->code_name));
  }
  out = HelloInfo{};
  out.max_wire_version = reply.integer("maxWireVersion");
  if (!out.max_wire_version || *out.max_wire_version < 0) {
    return Status::failure(Code::mongodb_protocol_error,
                           "the handshake answer has no usable maxWireVersion, which every MongoDB server since 2.6 "
                           "sends: this is not a MongoDB server, or a proxy that rewrites its answers");
  }
  out.min_wire_version = reply.integer("minWireVersion");
  out.is_writable_primary =
      reply.boolean("isWritablePrimary").value_or(reply.boolean("ismaster").value_or(false));
  out.secondary = reply.boolean("secondary").value_or(false);
  out.arbiter_only = reply.boolean("arbiterOnly").value_or(false);
  out.passive = reply.boolean("passive").value_or(false);
  out.hidden = reply.boolean("hidden").value_or(false);
  out.read_only = reply.boolean("readOnly").value_or(false);
  out.hello_ok = reply.boolean("helloOk").value_or(false);
  out.set_name = reply.string("setName");
  out.set_version = reply.integer("setVersion");
  out.hosts = reply.strings("hosts");
  out.passives = reply.strings("passives");
  out.arbiters = reply.strings("arbiters");
  out.primary = reply.string("primary");
  out.me = reply.string("me");
  out.msg = reply.string("msg");
  out.max_bson_object_size = reply.integer("maxBsonObjectSize");
  out.max_message_size_bytes = reply.integer("maxMessageSizeBytes");
  out.max_write_batch_size = reply.integer("maxWriteBatchSize");
  out.logical_session_timeout_minutes = reply.integer("logicalSessionTimeoutMinutes");
  out.connection_id = reply.integer("connectionId");
  out.sasl_supported_mechs = reply.strings("saslSupportedMechs");
  out.compression = reply.strings("compression");
  // Server Discovery and Monitoring spec, "Parsing a hello or legacy hello
  // response": isdbgrid -> Mongos, setName -> replica set member,
  // isreplicaset -> RSGhost (not initiated), otherwise Standalone.
  if (out.msg == "isdbgrid") {
    out.topology = Topology::mongos;
  } else if (out.set_name) {
    out.topology = Topology::replica_set_member;
  } else if (reply.boolean("isreplicaset").value_or(false)) {
    out.topology = Topology::uninitiated_member;
  } else {
    out.topology = Topology::standalone;
  }
  return Status::success();
}

ServerVersionRange server_version_for(std::int64_t max_wire_version) {
  if (max_wire_version < 0) return {"unknown", false};
  const auto last = kReleases.back();
  if (max_wire_version > last.wire) {
    return {fmt::format("newer than {} (wire version {})", last.release, max_wire_version), false};
  }
  const auto& entry = kReleases[static_cast<std::size_t>(max_wire_version)];
  if (max_wire_version == 1 || max_wire_version == 2) return {"2.6", false};
  return {std::string(entry.release), entry.rapid && max_wire_version >= 14};
}

std::optional<MemberAddress> parse_member(std::string_view text) {
  MemberAddress out;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      // Two colons without brackets: a bare IPv6 address, no port.
      out.host = std::string(text);
    } else {
      out.host = std::string(text.substr(0, colon));
      if (colon != std::string_view::npos) {
        port = text.substr(colon + 1);
        if (port.empty()) return std::nullopt;
      }
    }
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

std::string format_member(const MemberAddress& member) {
  return member.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", member.host, member.port)
                                                    : fmt::format("{}:{}", member.host, member.port);
}

Json hello_facts(const HelloInfo& hello) {
  Json facts = Json::object();
  facts["topology"] = to_string(hello.topology);
  facts["set_name"] = optional_json(hello.set_name);
  facts["is_writable_primary"] = hello.is_writable_primary;
  facts["secondary"] = hello.secondary;
  if (hello.arbiter_only) facts["arbiter_only"] = true;
  if (hello.passive) facts["passive"] = true;
  if (hello.hidden) facts["hidden"] = true;
  facts["me"] = optional_json(hello.me);
  facts["primary"] = optional_json(hello.primary);
  facts["hosts"] = hello.hosts;
  if (!hello.passives.empty()) facts["passives"] = hello.passives;
  if (!hello.arbiters.empty()) facts["arbiters"] = hello.arbiters;
  if (hello.set_version) facts["set_version"] = *hello.set_version;
  Json server = Json::object();
  server["max_wire_version"] = optional_json(hello.max_wire_version);
  server["min_wire_version"] = optional_json(hello.min_wire_version);
  const auto range = server_version_for(hello.max_wire_version.value_or(-1));
  server["version"] = range.text;
  if (range.rapid_release) server["rapid_release"] = true;
  server["clickpipes_supported"] = hello.max_wire_version.value_or(-1) >= kClickPipesMinWireVersion;
  facts["server"] = std::move(server);
  Json limits = Json::object();
  limits["max_bson_object_size"] = optional_json(hello.max_bson_object_size);
  limits["max_message_size_bytes"] = optional_json(hello.max_message_size_bytes);
  limits["max_write_batch_size"] = optional_json(hello.max_write_batch_size);
  limits["logical_session_timeout_minutes"] = optional_json(hello.logical_session_timeout_minutes);
  facts["limits"] = std::move(limits);
  if (hello.connection_id) facts["connection_id"] = *hello.connection_id;
  if (hello.read_only) facts["read_only"] = true;
  if (!hello.compression.empty()) facts["compression"] = hello.compression;
  if (!hello.sasl_supported_mechs.empty()) facts["sasl_supported_mechs"] = hello.sasl_supported_mechs;
  return facts;
}

}  // namespace plprobe::probes::mongodb
