// plprobe serve: the sink/source peer for bench throughput and bench connect.
#include <sys/resource.h>

#include <memory>
#include <string>

#include <fmt/format.h>

#include "bench/load/io_pool.h"
#include "bench/load/serve.h"
#include "bench/load/targets.h"
#include "cli/bench_command.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

struct ServeFlags {
  std::string listen = "0.0.0.0:5201";
  bool tls = false;
  std::string cert;
  std::string key;
  int threads = 0;
  std::string idle_timeout = "10m";
  bool json = false;
  int max_connections = 20000;
};

int run_serve(const ServeFlags& flags) {
  std::string error;
  auto target = bench::parse_target(flags.listen, false, error, true);
  asio::ip::address address;
  error_code ec;
  if (target) address = asio::ip::make_address(target->host, ec);
  if (!target || ec) {
    throw UsageError(fmt::format("--listen '{}' is not ADDRESS:PORT", flags.listen),
                     "write an IP address and port, e.g. 0.0.0.0:5201, 127.0.0.1:0 or [::]:5201");
  }
  if (flags.tls && (flags.cert.empty() || flags.key.empty())) {
    throw UsageError("--tls needs --cert and --key", "e.g. openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -subj /CN=serve -days 30");
  }
  try {
    ensure_descriptors(static_cast<std::uint64_t>(flags.max_connections) + 64, "--max-connections");
  } catch (const UsageError&) {
    // serve still runs; it just holds fewer clients at once than asked.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    fmt::print(stderr, "plprobe serve: the descriptor limit ({}) caps clients at about {}; raise 'ulimit -n' for more\n",
               limit.rlim_cur, limit.rlim_cur > 64 ? limit.rlim_cur - 64 : 0);
  }
  bench::ServeSettings settings;
  settings.listen = tcp::endpoint(address, target->low_port);
  settings.tls = flags.tls;
  settings.cert_file = flags.cert;
  settings.key_file = flags.key;
  settings.threads = flags.threads > 0 ? flags.threads : bench::default_threads();
  settings.idle_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(parse_duration_option("--idle-timeout", flags.idle_timeout));
  settings.json = flags.json;
  return bench::serve(settings);
}

}  // namespace

void add_serve_command(CLI::App& command, Run& run) {
  auto flags = std::make_shared<ServeFlags>();
  command.add_option("--listen", flags->listen, "ADDRESS:PORT to listen on (port 0: any free port) [0.0.0.0:5201]");
  command.add_flag("--tls", flags->tls, "Speak TLS from the first byte (needs --cert and --key)");
  command.add_option("--cert", flags->cert, "PEM certificate chain, leaf first");
  command.add_option("--key", flags->key, "PEM private key of the certificate");
  command.add_option("--threads", flags->threads, "Event loops [one per core]")->check(CLI::Range(1, 1024));
  command.add_option("--idle-timeout", flags->idle_timeout,
                     "Close a connection that sends no stream hello for this long [10m]");
  command.add_option("--max-connections", flags->max_connections,
                     "Descriptors to reserve for clients at once (raises the soft limit) [20000]")
      ->check(CLI::Range(16, 10'000'000));
  command.add_flag("--json", flags->json, "JSON Lines: listening, one object per finished stream, stopped");
  command.footer(
      "The stream protocol (all integers big-endian):\n"
      "  client: hello \"PLPB\" | version 1 | direction (1 up, 2 down) | 0 0 | stream id u32 | duration ms u32\n"
      "  serve:  \"PLOK\" (or \"PLNO\" and close)\n"
      "  sender: frames of length u32 + payload, then length 0 + total bytes sent u64\n"
      "  receiver: total bytes received u64; down streams end when the client sends 'S'.\n"
      "Connections that send nothing are held (bench connect --hold). SIGINT/SIGTERM stop it cleanly.");
  run = [flags] { return run_serve(*flags); };
}

}  // namespace plprobe::cli
