#include "agent/instance.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "proto/names.h"

namespace vx::agent {

namespace fs = std::filesystem;

namespace {

std::string random_id() {
  std::random_device entropy;  // the kernel's random source
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof(word), "%08x", static_cast<unsigned>(entropy()));
    out += word;
  }
  return out;
}

// Written to a temporary file and renamed, so that a crash leaves the old file or the whole new one.
Status write_id(const fs::path& file, const std::string& id) {
  fs::path temporary = file;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << id << "\n";
    out.flush();
    if (!out) return internal("state_dir_unwritable", "cannot write " + temporary.string());
  }
  std::error_code ec;
  fs::rename(temporary, file, ec);
  if (ec) return internal("state_dir_unwritable", "cannot rename " + temporary.string() + ": " + ec.message());
  return Ok{};
}

}  // namespace

Result<std::string> load_instance_id(const std::string& state_dir) {
  fs::path file = fs::path(state_dir) / kInstanceFile;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file);
    std::string id;
    std::getline(in, id);
    if (Status valid = proto::validate_instance_id(id); !valid) {
      return bad_input("invalid_instance_file", file.string() + " holds no valid instance id (" +
                                                    valid.error().detail + "); remove it only if no other "
                                                    "agent uses this state directory");
    }
    return id;
  }
  fs::create_directories(state_dir, ec);
  if (ec) return internal("state_dir_unwritable", "cannot create " + state_dir + ": " + ec.message());
  fs::permissions(state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  std::string id = random_id();
  if (Status written = write_id(file, id); !written) return written.error();
  return id;
}

}  // namespace vx::agent
