#include "cli_output.h"

#include <boost/json.hpp>
#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>

namespace cpbench {

namespace {

struct Listed {
  size_t hosts = 0;
  uint64_t containers = 0;
};

uint64_t number_in(const std::string& text, size_t from) {
  size_t start = text.find_first_not_of(' ', std::min(from, text.size()));
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data() + std::min(start, text.size()), text.data() + text.size(), number);
  if (ec != std::errc()) throw std::runtime_error("no number in '" + text + "'");
  return number;
}

// A table's columns are padded to their widest cell, so each row's count starts under the header's
// CONTAINERS; the columns before it may hold spaces ("3s ago").
Listed listed_in_table(const std::string& table) {
  std::istringstream lines(table);
  std::string header;
  std::getline(lines, header);
  size_t column = header.find("CONTAINERS");
  if (!header.starts_with("HOST") || column == std::string::npos) {
    throw std::runtime_error("its header is '" + header + "'");
  }
  Listed listed;
  for (std::string row; std::getline(lines, row); ++listed.hosts) listed.containers += number_in(row, column);
  return listed;
}

Listed listed_in_json(const std::string& text) {
  boost::json::value hosts = boost::json::parse(text);  // held here: the loop would outlive a temporary
  Listed listed;
  for (const auto& host : hosts.as_array()) {
    ++listed.hosts;
    listed.containers += host.at("containers").to_number<uint64_t>();
  }
  return listed;
}

// The "used   N (x%)" line of its fields.
uint64_t used_in_stats(const std::string& fields) {
  std::istringstream lines(fields);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("used ")) return number_in(line, 4);
  }
  throw std::runtime_error("no 'used' line");
}

std::string listed_text(Listed listed) {
  return std::to_string(listed.hosts) + " hosts holding " + std::to_string(listed.containers) + " containers";
}

// What the output cannot be read as is broken too, under the command's name.
template <typename T>
T read_output(const Timed& timed, const std::function<T(const std::string&)>& read) {
  try {
    return read(timed.out);
  } catch (const std::exception& e) {
    throw CliBroken("`" + timed.name + "` printed what is not its listing: " + e.what());
  }
}

void check_listing(const Timed& timed, const std::function<Listed(const std::string&)>& read, Listed registered) {
  Listed listed = read_output(timed, read);
  if (listed.hosts != registered.hosts || listed.containers != registered.containers) {
    throw CliBroken("`" + timed.name + "` listed " + listed_text(listed) + ", the benchmark registered " +
                    listed_text(registered));
  }
}

}  // namespace

void check_vxctl_output(const VxctlRuns& runs, size_t hosts, size_t containers) {
  Listed registered{hosts, containers};
  check_listing(runs.hosts, listed_in_table, registered);
  check_listing(runs.json_hosts, listed_in_json, registered);
  uint64_t used = read_output<uint64_t>(runs.stats, used_in_stats);
  if (used != containers) {
    throw CliBroken("`" + runs.stats.name + "` counts " + std::to_string(used) + " addresses used, the benchmark " +
                    "registered " + std::to_string(containers) + " containers");
  }
}

}  // namespace cpbench
