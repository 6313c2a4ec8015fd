#include "vxctl/table.h"

#include <gtest/gtest.h>

#include "vxctl/exit_status.h"

namespace vx::ctl {
namespace {

TEST(Table, PadsEachColumnToItsWidestCellAndLeavesNoTrailingBlanks) {
  Table table({"NAME", "HOST", "ADDRESS"});
  table.add_row({"web1", "host1", "172.20.0.5"});
  table.add_row({"a-much-longer-name", "h2", "172.20.100.200"});
  EXPECT_EQ(table.render(),
            "NAME                HOST   ADDRESS\n"
            "web1                host1  172.20.0.5\n"
            "a-much-longer-name  h2     172.20.100.200\n");
}

TEST(Table, FillsMissingCellsWithADash) {
  Table table({"A", "B"});
  table.add_row({"x"});
  EXPECT_EQ(table.render(), "A  B\nx  -\n");
}

TEST(Table, WithoutRowsShowsTheHeader) { EXPECT_EQ(Table({"HOST", "STATE"}).render(), "HOST  STATE\n"); }

TEST(Fields, AlignsValuesAfterTheLongestKey) {
  EXPECT_EQ(render_fields({{"pool", "172.20.0.0/16"}, {"available", "65532"}, {"empty", ""}}),
            "pool       172.20.0.0/16\n"
            "available  65532\n"
            "empty\n");
}

TEST(Format, AgesReadLikeAPersonWouldSayThem) {
  EXPECT_EQ(format_age(0), "0.0s ago");
  EXPECT_EQ(format_age(312), "0.3s ago");
  EXPECT_EQ(format_age(-5), "0.0s ago");  // clocks of two machines may disagree a little
  EXPECT_EQ(format_age(9'949), "9.9s ago");
  EXPECT_EQ(format_age(45'000), "45s ago");
  EXPECT_EQ(format_age(600'000), "10m ago");
  EXPECT_EQ(format_age(3 * 3600'000), "3h ago");
  EXPECT_EQ(format_age(5 * 86400'000LL), "5d ago");
}

TEST(Format, PercentOfAnEmptyWholeIsZero) {
  EXPECT_EQ(format_percent(2, 65534), "0.0%");
  EXPECT_EQ(format_percent(65534, 65534), "100.0%");
  EXPECT_EQ(format_percent(1, 3), "33.3%");
  EXPECT_EQ(format_percent(0, 0), "0.0%");
}

TEST(ExitStatus, EachKindOfFailureHasItsOwn) {
  EXPECT_EQ(exit_status_of(ErrorKind::kBadInput), kExitUsage);
  EXPECT_EQ(exit_status_of(ErrorKind::kNotFound), kExitNotFound);
  EXPECT_EQ(exit_status_of(ErrorKind::kConflict), kExitConflict);
  EXPECT_EQ(exit_status_of(ErrorKind::kUnavailable), kExitUnavailable);
  EXPECT_EQ(exit_status_of(ErrorKind::kUnauthorized), kExitUnauthorized);
  EXPECT_EQ(exit_status_of(ErrorKind::kInternal), kExitFailed);
  EXPECT_NE(kExitNo, kExitOk);
}

}  // namespace
}  // namespace vx::ctl
