// What a MongoDB server says about itself in its `hello` (or legacy
// `isMaster`) answer, and what that means for a ClickPipes CDC source.
//
// Fields read (MongoDB manual, "hello" > "Output"): isWritablePrimary
// (ismaster in the legacy answer), secondary, arbiterOnly, passive, hidden,
// setName, setVersion, hosts, passives, arbiters, primary, me, msg
// ("isdbgrid" from mongos), isreplicaset (a replica-set member not yet
// initiated), maxWireVersion, minWireVersion, maxBsonObjectSize,
// maxMessageSizeBytes, maxWriteBatchSize, logicalSessionTimeoutMinutes,
// connectionId, readOnly, helloOk, saslSupportedMechs, compression.
//
// Pure functions: no I/O, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "probes/mongodb/mongodb_bson.h"

namespace plprobe::probes::mongodb {

// MongoDB's default port, also the port of a member advertised without one.
inline constexpr std::uint16_t kDefaultPort = 27017;

// ClickPipes' MongoDB CDC needs MongoDB 5.1.0 or later (ClickHouse docs,
// ClickPipes for MongoDB, "Caveats"); 5.1 is wire version 14.
inline constexpr std::int64_t kClickPipesMinWireVersion = 14;

enum class Topology {
  replica_set_member,  // setName present
  uninitiated_member,  // isreplicaset: true (started with --replSet, rs.initiate() not run)
  mongos,              // msg: "isdbgrid"
  standalone,          // none of the above
};
std::string_view to_string(Topology topology);

struct HelloInfo {
  Topology topology = Topology::standalone;
  bool is_writable_primary = false;
  bool secondary = false;
  bool arbiter_only = false;
  bool passive = false;
  bool hidden = false;
  bool read_only = false;
  bool hello_ok = false;
  std::optional<std::string> set_name;
  std::optional<std::int64_t> set_version;
  std::vector<std::string> hosts;     // data-bearing members that can become primary
  std::vector<std::string> passives;  // priority 0 members
  std::vector<std::string> arbiters;
  std::optional<std::string> primary;
  std::optional<std::string> me;
  std::optional<std::string> msg;
  std::optional<std::int64_t> max_wire_version;
  std::optional<std::int64_t> min_wire_version;
  std::optional<std::int64_t> max_bson_object_size;
  std::optional<std::int64_t> max_message_size_bytes;
  std::optional<std::int64_t> max_write_batch_size;
  std::optional<std::int64_t> logical_session_timeout_minutes;
  std::optional<std::int64_t> connection_id;
  std::vector<std::string> sasl_supported_mechs;
  std::vector<std::string> compression;
};

// Reads a hello/isMaster answer. Fails with mongodb_protocol_error when
// the server refused the command (with its errmsg) or the answer lacks
// maxWireVersion, which every server since 2.6 sends.
Status parse_hello(const Document& reply, HelloInfo& out);

// The MongoDB releases that answer with this maxWireVersion. Source: the
// MongoDB C driver's table "Server Wire version and Feature List"
// (mongo-c-driver, src/libmongoc/doc) for 0-16, and from 5.1 on the
// server's rule (SERVER-58346) that the wire version counts releases since
// 4.0, rapid releases included: 6.0 = 17, 7.0 = 21, 8.0 = 25, 8.2 = 27.
struct ServerVersionRange {
  std::string text;          // "7.0", "2.6", "4.7-4.9 (development releases)", "newer than 8.2"
  bool rapid_release = false;  // x.1-x.3 since 5.0: MongoDB Atlas only
};
ServerVersionRange server_version_for(std::int64_t max_wire_version);

struct MemberAddress {
  std::string host;  // brackets removed from IPv6 literals
  std::uint16_t port = kDefaultPort;
};
// "host:port", "host" (port 27017), "[v6]:port". nullopt when it is not a
// usable host:port (empty host, port 0 or above 65535, junk after the port).
std::optional<MemberAddress> parse_member(std::string_view text);
std::string format_member(const MemberAddress& member);

// facts for the result: topology, set_name, hosts, version, ...
Json hello_facts(const HelloInfo& hello);

}  // namespace plprobe::probes::mongodb
