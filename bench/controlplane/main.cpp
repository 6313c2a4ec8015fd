// controlplane_bench: the IPAM's control plane at cluster scale, from one process on one io_context,
// but for the timed requests, which run on a thread of their own (timing_thread.h).
// H hosts register and heartbeat for the whole run, C containers get an address and a MAC, the real
// vxctl lists them (cli_timing.h), then W watchers long-poll the change feed while allocations are
// timed, endpoints are timed until every watcher has seen them, and the IPAM's and Redis's CPU is
// read while the cluster idles. One more follower of the feed (the mirror) rebuilds the registry
// from it, and must match GET /peers at the end. Prints each number beside its target; exits 1 only
// when something broke.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>

#include "child_process.h"
#include "cli_output.h"
#include "cli_timing.h"
#include "cluster.h"
#include "cpu_time.h"
#include "feed.h"
#include "mirror.h"
#include "options.h"
#include "probes.h"
#include "report.h"
#include "timing_thread.h"

namespace cpbench {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr Clock::duration kHeartbeatInterval = 500ms;
constexpr size_t kHeartbeatLanes = 32;
constexpr size_t kRegistrationLanes = 32;
constexpr size_t kLatencyLanes = 8;
constexpr std::chrono::milliseconds kLongPoll = 30s;
constexpr Clock::duration kProbeSpacing = 100ms;
constexpr Clock::duration kPropagationTimeout = 30s;  // a change some watcher has not seen by then is lost
constexpr int kSnapshotSamples = 5;
constexpr size_t kSpareAddresses = 16;  // beside the probes: the latency runs hold up to 8 at a time, markers 3
constexpr uint8_t kProbeMacTag = 1;
constexpr uint8_t kMarkerMacTag = 2;
constexpr size_t kCliRuns = 20;
// The issue's, at 1,000 hosts and 60,000 containers: `vxctl hosts` lists them all, `stats` counts.
constexpr double kListingTargetMs = 500;
constexpr double kStatsTargetMs = 100;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string ms_text(double ms) { return fixed(ms, ms < 10 ? 2 : 0) + " ms"; }

void progress(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// The CPU a set of processes used over a stretch of time, as % of one core.
class CpuMeter {
 public:
  explicit CpuMeter(std::vector<pid_t> pids) : pids_(std::move(pids)), started_(Clock::now()) {
    for (pid_t pid : pids_) at_start_.push_back(cpu_seconds(pid));
  }
  double percent(size_t which) const {
    double wall = std::chrono::duration<double>(Clock::now() - started_).count();
    return 100 * (cpu_seconds(pids_[which]) - at_start_[which]) / wall;
  }

 private:
  std::vector<pid_t> pids_;
  std::vector<double> at_start_;
  Clock::time_point started_;
};

struct Latencies {
  double p50 = 0, p99 = 0;
  std::string text() const { return ms_text(p50) + " / " + ms_text(p99); }
};

Latencies latencies_of(const std::vector<double>& samples) {
  return {percentile(samples, 0.50), percentile(samples, 0.99)};
}

class Benchmark {
 public:
  Benchmark(const Options& options, asio::any_io_executor executor)
      : options_(options),
        vxctl_(program_beside_this_one("vxctl")),
        executor_(executor),
        background_(executor),
        control_(executor, options.port),
        probe_control_(timing_.executor(), options.port),
        heartbeats_(options.port, options.hosts, kHeartbeatLanes, kHeartbeatInterval),
        mirror_follower_(executor, options.port, mirror_),
        board_(options.watchers) {}

  asio::awaitable<void> run() {
    co_await check_pool_room();
    co_await start_hosts();
    co_await register_all_containers();
    co_await time_vxctl();
    co_await time_snapshots();
    auto alone = co_await time_allocations_now("5/10", "lat-alone", "no watchers");
    co_await attach_watchers();
    auto watched =
        co_await time_allocations_now("7/10", "lat-watched", std::to_string(options_.watchers) + " watchers");
    report_allocations(alone, watched);
    auto bytes_per_change = co_await time_propagation();
    co_await measure_idle_cpu();
    report_bytes_per_change(bytes_per_change);
    co_await verify_mirror();
  }

  const Summary& summary() const { return summary_; }

 private:
  asio::awaitable<void> check_pool_room() {
    Answer answer = co_await send_expecting_success(control_, "GET", "/stats", "", kRequestTimeout);
    auto stats = boost::json::parse(answer.body).as_object();
    auto available = stats.at("available_ips").to_number<size_t>();
    size_t needed = options_.containers + options_.probes + kSpareAddresses;
    if (available < needed) {
      throw std::runtime_error(
          "the pool has " + std::to_string(available) + " free addresses, the run needs " + std::to_string(needed) +
          ": fewer --containers, or a larger --subnet (VX_BENCH_SUBNET for bench/controlplane_bench)");
    }
  }

  // 1: the hosts register and heartbeat from here on; the mirror follows the feed from here on.
  asio::awaitable<void> start_hosts() {
    auto started = Clock::now();
    co_await register_hosts(options_.port, options_.hosts, kRegistrationLanes);
    heartbeats_.start(background_);
    loop_lag_.start(background_);
    Snapshot snapshot = co_await fetch_snapshot(control_);
    mirror_.on_snapshot(snapshot.view);
    background_.spawn(mirror_follower_.follow(snapshot.revision, kLongPoll));
    progress("[1/10] " + std::to_string(options_.hosts) + " hosts registered in " + ms_text(ms_since(started)) +
             ", heartbeating every 500 ms from " + std::to_string(kHeartbeatLanes) + " connections");
  }

  // Starts what phase_cost() reports: from here on, not since the last phase that reported.
  CpuMeter phase_meter() {
    loop_lag_.take_ms();
    take_heartbeat_latencies();
    return CpuMeter({options_.ipam_pid, options_.redis_pid, getpid()});
  }

  // What a phase cost, for its progress line: the CPU of each process (on a small machine the
  // benchmark competes with what it measures), how late the benchmark's main event loop ran (that
  // much of a heartbeat's or a watcher's latency meanwhile is its own; the timed requests have a
  // thread of their own) and how long heartbeats took (the IPAM's default --host-ttl-ms is 1.5 s).
  std::string phase_cost(const CpuMeter& meter) {
    auto lag = loop_lag_.take_ms();
    auto heartbeats = take_heartbeat_latencies();
    return "    meanwhile: CPU (% of one core) vxlan-ipam " + fixed(meter.percent(0), 0) + ", redis-server " +
           fixed(meter.percent(1), 0) + ", this benchmark " + fixed(meter.percent(2), 0) +
           "; its event loop late by p99 " + ms_text(percentile(lag, 0.99)) + ", max " + ms_text(percentile(lag, 1)) +
           "; heartbeat latency p99 " + ms_text(percentile(heartbeats, 0.99)) + ", max " +
           ms_text(percentile(heartbeats, 1));
  }

  std::vector<double> take_heartbeat_latencies() {
    auto latencies = heartbeats_.take_latencies_ms();
    heartbeat_latencies_.insert(heartbeat_latencies_.end(), latencies.begin(), latencies.end());
    return latencies;
  }

  // 2
  asio::awaitable<void> register_all_containers() {
    auto meter = phase_meter();
    auto started = Clock::now();
    co_await register_containers(options_.port, options_.containers, options_.hosts, kRegistrationLanes);
    double seconds = ms_since(started) / 1000;
    background_.rethrow_failure();
    std::string value = fixed(seconds, 1) + " s, " + fixed(options_.containers / seconds, 0) + " containers/s";
    summary_.info("register " + std::to_string(options_.containers) + " containers (allocate + endpoint, " +
                      std::to_string(kRegistrationLanes) + " connections)",
                  value);
    progress("[2/10] " + std::to_string(options_.containers) + " containers registered: " + value);
    progress(phase_cost(meter));
  }

  // 3: on the timing thread, with nothing but the heartbeats going on; the output is checked too.
  asio::awaitable<void> time_vxctl() {
    auto meter = phase_meter();
    VxctlRuns runs = vxctl_runs(vxctl_, options_.port, probe_control_, container_name(0));
    co_await timing_.run(time_in_turns(runs.all(), kCliRuns));
    background_.rethrow_failure();
    check_vxctl_output(runs, options_.hosts, options_.containers);
    std::string cluster =
        std::to_string(options_.hosts) + " hosts, " + std::to_string(options_.containers) + " containers";
    report_vxctl(runs, cluster);
    std::string times;
    for (const Timed* timed : runs.all()) times += (times.empty() ? "" : ", ") + timed->name + " " + timed_text(*timed);
    progress("[3/10] " + std::to_string(kCliRuns) + " runs each, p50 / p99: " + times + "; output matches the " +
             cluster);
    progress(phase_cost(meter));
  }

  void report_vxctl(const VxctlRuns& runs, const std::string& cluster) {
    auto check = [&](const Timed& timed, double target_ms) {
      summary_.check(timed_metric(timed) + " at " + cluster, timed_text(timed), "p99 <= " + ms_text(target_ms),
                     latencies_of(timed.ms).p99 <= target_ms);
    };
    check(runs.hosts, kListingTargetMs);
    check(runs.json_hosts, kListingTargetMs);
    check(runs.stats, kStatsTargetMs);
    summary_.info("  baseline: " + timed_metric(runs.baseline) + ", its start and one small answer",
                  timed_text(runs.baseline));
    for (const Timed* timed : {&runs.get_hosts, &runs.get_stats, &runs.get_health}) {
      summary_.info("  " + timed_metric(*timed) + " on this benchmark's own connection", timed_text(*timed));
    }
    summary_.info("vxctl hosts, --json hosts and stats == the registered cluster", "yes: " + cluster);
  }

  static std::string timed_metric(const Timed& timed) {
    return "`" + timed.name + "` p50 / p99 (" + std::to_string(timed.out.size()) + " B)";
  }

  static std::string timed_text(const Timed& timed) { return latencies_of(timed.ms).text(); }

  // 4
  asio::awaitable<void> time_snapshots() {
    std::vector<double> times;
    size_t bytes = 0;
    for (int i = 0; i < kSnapshotSamples; ++i) {
      auto started = Clock::now();
      Snapshot snapshot = co_await fetch_snapshot(control_);
      times.push_back(ms_since(started));
      bytes = snapshot.body_bytes;
    }
    std::string value = ms_text(percentile(times, 0.5)) + ", " + std::to_string(bytes) + " bytes";
    summary_.info("GET /peers snapshot, median of " + std::to_string(kSnapshotSamples), value);
    progress("[4/10] GET /peers: " + value);
  }

  // 5 and 7: new names, each released right after, on the timing thread. Its own lateness goes
  // into the summary beside the latencies: that much of them is the benchmark's.
  asio::awaitable<Latencies> time_allocations_now(const std::string& step, const std::string& prefix,
                                                  const std::string& watchers) {
    auto meter = phase_meter();
    co_await timing_.take_lag_ms();
    uint64_t answers = watcher_answers();
    auto samples = co_await timing_.run(
        time_allocations(options_.port, prefix, options_.allocations, options_.hosts, kLatencyLanes));
    auto lag = co_await timing_.take_lag_ms();
    background_.rethrow_failure();
    Latencies latencies = latencies_of(samples);
    summary_.info("POST /allocate p50 / p99, " + watchers, latencies.text());
    summary_.info("  this benchmark's own lateness on the allocating thread, p99 / max",
                  ms_text(percentile(lag, 0.99)) + " / " + ms_text(percentile(lag, 1)));
    progress("[" + step + "] " + std::to_string(options_.allocations) + " allocations from " +
             std::to_string(kLatencyLanes) + " connections, each released after, p50 / p99: " + latencies.text() +
             "; " + std::to_string(watcher_answers() - answers) + " feed answers to watchers");
    progress(phase_cost(meter));
    co_return latencies;
  }

  void report_allocations(const Latencies& alone, const Latencies& watched) {
    std::string watchers = std::to_string(options_.watchers) + " watchers";
    double ratio = alone.p99 > 0 ? watched.p99 / alone.p99 : 0;
    summary_.check("POST /allocate p99 with " + watchers + " / without", fixed(ratio, 2) + "x", "<= 2x or p99 <= 5 ms",
                   ratio <= 2 || watched.p99 <= 5);
  }

  // 6: one snapshot's revision for all, then a marker every watcher must see.
  asio::awaitable<void> attach_watchers() {
    Snapshot snapshot = co_await fetch_snapshot(control_);
    auto started = Clock::now();
    for (size_t i = 0; i < options_.watchers; ++i) {
      sinks_.push_back(std::make_unique<ProbeWatcher>(board_, i));
      watchers_.push_back(std::make_unique<FeedFollower>(executor_, options_.port, *sinks_.back()));
      background_.spawn(watchers_.back()->follow(snapshot.revision, kLongPoll));
    }
    co_await settle();
    std::string value = std::to_string(options_.watchers) + " in " + ms_text(ms_since(started));
    summary_.info("watchers attached and following the feed", value);
    progress("[6/10] watchers attached and following: " + value);
  }

  // Records a marker endpoint and waits until every watcher and the mirror have seen it: with
  // nothing else changing, everyone is then at the same revision.
  asio::awaitable<void> settle() {
    std::string name = "marker-" + std::to_string(markers_);
    std::string mac = mac_address(kMarkerMacTag, markers_++);
    co_await record_probe(name, mac);
    co_await wait_until([&] { return board_.seen_by_all(name); }, kPropagationTimeout, "every watcher to see " + name,
                        background_);
    uint64_t revision = newest_watcher_revision();
    co_await wait_until([&] { return mirror_follower_.revision() >= revision; }, kPropagationTimeout,
                        "the mirror to reach revision " + std::to_string(revision), background_);
  }

  // Announced first: a watcher may see the change before the answer arrives. Recorded from the
  // timing thread, so that the answer's time is not late by the watchers' handlers here.
  asio::awaitable<void> record_probe(const std::string& name, const std::string& mac) {
    board_.announce(name, mac);
    Clock::time_point answered = co_await timing_.run(add_probe_endpoint(name, mac));
    board_.recorded(name, answered);
  }

  // On the timing thread: answers when the endpoint's answer arrived.
  asio::awaitable<Clock::time_point> add_probe_endpoint(std::string name, std::string mac) {
    co_await add_endpoint(probe_control_, name, host_id(0), mac);
    co_return Clock::now();
  }

  uint64_t newest_watcher_revision() const {
    uint64_t newest = 0;
    for (const auto& watcher : watchers_) newest = std::max(newest, watcher->revision());
    return newest;
  }

  std::vector<FeedCounters> watcher_counters() const {
    std::vector<FeedCounters> out;
    for (const auto& watcher : watchers_) out.push_back(watcher->counters());
    return out;
  }

  uint64_t watcher_answers() const {
    uint64_t answers = 0;
    for (const auto& watcher : watchers_) answers += watcher->counters().answers;
    return answers;
  }

  // 8: the probes are spaced out, so each is timed on its own rather than in a batch. Answers
  // what each watcher received meanwhile per change, for 10.
  asio::awaitable<std::vector<double>> time_propagation() {
    co_await settle();
    auto meter = phase_meter();
    auto before = watcher_counters();
    uint64_t changes_before = mirror_follower_.counters().changes;
    std::vector<std::string> names;
    auto next = Clock::now();
    for (size_t i = 0; i < options_.probes; ++i, next += kProbeSpacing) {
      co_await sleep_until(next);
      names.push_back("probe-" + std::to_string(i));
      co_await record_probe(names.back(), mac_address(kProbeMacTag, i));
    }
    co_await wait_until([&] { return all_seen(names); }, kPropagationTimeout, "every watcher to see every probe",
                        background_);
    uint64_t revision = newest_watcher_revision();
    co_await wait_until([&] { return mirror_follower_.revision() >= revision; }, kPropagationTimeout,
                        "the mirror to reach revision " + std::to_string(revision), background_);
    report_propagation(names);
    progress(phase_cost(meter));
    co_return bytes_per_change(before, mirror_follower_.counters().changes - changes_before);
  }

  bool all_seen(const std::vector<std::string>& names) const {
    return std::all_of(names.begin(), names.end(), [&](const std::string& name) { return board_.seen_by_all(name); });
  }

  void report_propagation(const std::vector<std::string>& names) {
    std::vector<double> times;
    for (const auto& name : names) times.push_back(board_.propagation_ms(name));
    double p99 = percentile(times, 0.99);
    std::string value = ms_text(percentile(times, 0.5)) + " / " + ms_text(p99) + " / " + ms_text(percentile(times, 1));
    summary_.check("endpoint recorded -> seen by every watcher, p50 / p99 / max", value, "p99 <= 1000 ms", p99 <= 1000);
    progress("[8/10] " + std::to_string(names.size()) + " endpoints, recorded -> seen by all " +
             std::to_string(options_.watchers) + " watchers, p50 / p99 / max: " + value);
  }

  // The changes that happened (as the mirror counted them) are what each watcher had to learn, so
  // a watcher that was sent a full snapshot instead pays for it here too.
  std::vector<double> bytes_per_change(const std::vector<FeedCounters>& before, uint64_t changes) const {
    std::vector<double> per_change;
    for (size_t i = 0; i < watchers_.size(); ++i) {
      double bytes = static_cast<double>(watchers_[i]->counters().bytes - before[i].bytes);
      per_change.push_back(bytes / static_cast<double>(std::max<uint64_t>(changes, 1)));
    }
    return per_change;
  }

  // 10
  void report_bytes_per_change(const std::vector<double>& per_change) {
    double worst = percentile(per_change, 1);
    std::string value = fixed(worst, 0) + " B (median " + fixed(percentile(per_change, 0.5), 0) + " B)";
    summary_.check("bytes received per change per watcher, worst watcher", value, "<= 2048 B", worst <= 2048);
    progress("[10/10] bytes per change per watcher during [8]: " + value);
  }

  // 9: (a) a whole idle cluster, heartbeats included; (b) the watchers alone, heartbeats paused.
  asio::awaitable<void> measure_idle_cpu() {
    co_await settle();
    auto [ipam_busy, redis_busy, answers_busy] = co_await measure_cpu_window();
    co_await heartbeats_.pause();
    auto [ipam_idle, redis_idle, answers_idle] = co_await measure_cpu_window();
    heartbeats_.resume();
    std::string hosts = std::to_string(options_.hosts) + " hosts heartbeating";
    summary_.info("idle CPU with " + hosts + ": vxlan-ipam / redis-server",
                  fixed(ipam_busy, 1) + " % / " + fixed(redis_busy, 1) + " %");
    summary_.check("idle CPU, watchers waiting, heartbeats paused: vxlan-ipam", fixed(ipam_idle, 1) + " %", "<= 5 %",
                   ipam_idle <= 5);
    summary_.check("idle CPU, watchers waiting, heartbeats paused: redis-server", fixed(redis_idle, 1) + " %", "<= 5 %",
                   redis_idle <= 5);
    summary_.info("feed answers to watchers while idle, (a) / (b)",
                  std::to_string(answers_busy) + " / " + std::to_string(answers_idle));
    progress("[9/10] idle CPU (% of one core) over " + std::to_string(options_.cpu_window.count()) +
             " s, vxlan-ipam / redis-server: (a) with heartbeats " + fixed(ipam_busy, 1) + " / " +
             fixed(redis_busy, 1) + ", (b) heartbeats paused " + fixed(ipam_idle, 1) + " / " + fixed(redis_idle, 1));
  }

  struct CpuWindow {
    double ipam_percent, redis_percent;
    uint64_t watcher_answers;
  };

  asio::awaitable<CpuWindow> measure_cpu_window() {
    uint64_t answers = watcher_answers();
    CpuMeter meter({options_.ipam_pid, options_.redis_pid});
    co_await sleep_for(options_.cpu_window);
    background_.rethrow_failure();
    co_return CpuWindow{meter.percent(0), meter.percent(1), watcher_answers() - answers};
  }

  // The end: the registry rebuilt from the feed must be the registry, and nobody should have died.
  asio::awaitable<void> verify_mirror() {
    Snapshot snapshot = co_await fetch_snapshot(control_);
    co_await wait_until([&] { return mirror_follower_.revision() >= snapshot.revision; }, kPropagationTimeout,
                        "the mirror to reach revision " + std::to_string(snapshot.revision), background_);
    if (mirror_follower_.revision() == snapshot.revision) {
      auto differences = mirror_.differences(snapshot.view, 5);
      if (!differences.empty()) throw FeedBroken("the registry rebuilt from the feed differs: " + differences[0]);
    }
    uint64_t resets = 0;
    for (const auto& counters : watcher_counters()) resets += counters.resets;
    summary_.check("host liveness flaps seen on the feed", std::to_string(mirror_.host_deaths()), "0",
                   mirror_.host_deaths() == 0);
    take_heartbeat_latencies();
    summary_.info("heartbeat latency over the run, p50 / p99 / max",
                  ms_text(percentile(heartbeat_latencies_, 0.5)) + " / " +
                      ms_text(percentile(heartbeat_latencies_, 0.99)) + " / " +
                      ms_text(percentile(heartbeat_latencies_, 1)));
    summary_.info("heartbeats sent, every one answered 2xx", std::to_string(heartbeats_.sent()));
    summary_.info("full snapshots (\"reset\": true) sent to watchers", std::to_string(resets));
    summary_.info("registry rebuilt from the feed == GET /peers",
                  mirror_follower_.revision() == snapshot.revision
                      ? "yes, at revision " + std::to_string(snapshot.revision)
                      : "not compared: it changed meanwhile");
  }

  Options options_;
  std::string vxctl_;  // found when the benchmark starts, not when it has registered 60,000 containers
  asio::any_io_executor executor_;
  Background background_;
  TimingThread timing_;     // declared before probe_control_: its socket must go before the io_context
  HttpConnection control_;  // the benchmark's own requests, one at a time
  HttpConnection probe_control_;  // control_'s twin on the timing thread, for the probes' endpoints
  Heartbeats heartbeats_;
  LoopLag loop_lag_;
  FeedMirror mirror_;
  FeedFollower mirror_follower_;
  ProbeBoard board_;
  std::vector<std::unique_ptr<ProbeWatcher>> sinks_;
  std::vector<std::unique_ptr<FeedFollower>> watchers_;
  size_t markers_ = 0;
  std::vector<double> heartbeat_latencies_;  // every heartbeat's, in ms
  Summary summary_;
};

// Every watcher holds a connection: the soft limit (often 1024) would not do.
void raise_open_file_limit(size_t needed) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < needed) {
    throw std::runtime_error("needs " + std::to_string(needed) + " open files, the limit is " +
                             std::to_string(limit.rlim_cur));
  }
}

// Only this thread's: the timing thread, started before, keeps the priority of the IPAM and Redis.
void lower_client_priority(int nice) {
  if (nice == 0) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) {
    throw std::runtime_error("cannot set the nice of the hosts and watchers to " + std::to_string(nice));
  }
  progress("the hosts and watchers run at nice " + std::to_string(nice) + ", the timed requests at nice 0");
}

int run(const Options& options) {
  raise_open_file_limit(options.watchers + kHeartbeatLanes + kRegistrationLanes + kLatencyLanes + 64);
  asio::io_context io(1);
  Benchmark benchmark(options, io.get_executor());
  lower_client_priority(options.client_nice);
  std::exception_ptr failure;
  asio::co_spawn(io, benchmark.run(), [&](std::exception_ptr e) {
    failure = e;
    io.stop();  // the heartbeats and the long-polls are left hanging: the process ends here
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  std::printf("\nsummary\n");
  benchmark.summary().print();
  size_t missed = benchmark.summary().missed();
  std::printf("%s\n", missed == 0 ? "every target met" : (std::to_string(missed) + " target(s) MISSED").c_str());
  return 0;
}

}  // namespace
}  // namespace cpbench

int main(int argc, char** argv) {
  auto parsed = cpbench::parse_options(argc, argv);
  if (auto* exit_status = std::get_if<int>(&parsed)) return *exit_status;
  try {
    return cpbench::run(std::get<cpbench::Options>(parsed));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "controlplane_bench: FAILED: %s\n", e.what());
    return 1;
  }
}
