// The agent's instance id: made once in the state directory and read back the same on every start;
// a file that holds no valid id is an error, and is left as it is.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "agent/instance.h"

namespace vx::agent {
namespace {

namespace fs = std::filesystem;

class InstanceTest : public ::testing::Test {
 protected:
  InstanceTest() : dir_(fs::temp_directory_path() / ("vx-instance-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
  }
  ~InstanceTest() override { fs::remove_all(dir_); }
  std::string state_dir() const { return (dir_ / "state").string(); }

  fs::path dir_;
};

TEST_F(InstanceTest, IsMadeOnceAndKept) {
  auto made = load_instance_id(state_dir());
  ASSERT_TRUE(made) << made.error().detail;
  EXPECT_EQ(made->size(), 32u);
  EXPECT_EQ((fs::status(state_dir()).permissions() & fs::perms::all), fs::perms::owner_all);
  auto again = load_instance_id(state_dir());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *made);
  auto other = load_instance_id((dir_ / "other").string());
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *made) << "each state directory is an instance of its own";
}

TEST_F(InstanceTest, AFileWithoutAValidIdIsRefusedAndLeftAlone) {
  fs::create_directories(state_dir());
  fs::path file = fs::path(state_dir()) / kInstanceFile;
  std::ofstream(file) << "not an id\n";
  auto refused = load_instance_id(state_dir());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "invalid_instance_file");
  std::ifstream in(file);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "not an id");
}

TEST_F(InstanceTest, AStateDirectoryThatCannotBeMadeIsAnError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto refused = load_instance_id((dir_ / "file" / "state").string());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "state_dir_unwritable");
}

}  // namespace
}  // namespace vx::agent
