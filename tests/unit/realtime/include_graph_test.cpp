// The layers of src/realtime point one way (docs/protocol.md): io ← websocket ← engineio ←
// socketio ← the files at the top of src/realtime. One CMake target builds them all, so
// nothing but this test notices an include that points up. It reads the sources' quoted
// includes and fails on any cycle, between files or between folders.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::set<std::string>>;

// "realtime/io/timer_wheel.hpp" → "realtime/io"; a file at the top → "realtime".
std::string folder_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// The target of `#include "realtime/..."` on this line, or "". Parsed by hand:
// std::regex trips g++ 12's -Wmaybe-uninitialized in the ASan build.
std::string realtime_include(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return "";
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return "";
  i = line.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || line[i] != '"') return "";
  const std::size_t end = line.find('"', i + 1);
  if (end == std::string::npos) return "";
  std::string target = line.substr(i + 1, end - i - 1);
  return target.starts_with("realtime/") ? target : "";
}

// Every file under src/realtime (path relative to src/) → the realtime files it includes.
Graph read_file_graph() {
  const fs::path src = fs::path(PARLEY_SOURCE_DIR) / "src";
  Graph graph;
  for (const auto& entry : fs::recursive_directory_iterator(src / "realtime")) {
    const auto extension = entry.path().extension();
    if (!entry.is_regular_file() || (extension != ".hpp" && extension != ".cpp")) continue;
    const std::string name = fs::relative(entry.path(), src).generic_string();
    auto& edges = graph[name];
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line))
      if (auto target = realtime_include(line); !target.empty()) edges.insert(std::move(target));
  }
  return graph;
}

Graph folder_graph(const Graph& files) {
  Graph graph;
  for (const auto& [file, includes] : files) {
    auto& edges = graph[folder_of(file)];
    for (const auto& target : includes)
      if (folder_of(target) != folder_of(file)) edges.insert(folder_of(target));
  }
  return graph;
}

// A cycle as "a -> b -> a", or empty when the graph has none.
std::string find_cycle(const Graph& graph) {
  enum class Mark { none, open, done };
  std::map<std::string, Mark> marks;
  std::vector<std::string> stack;
  std::string cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& node) {
    marks[node] = Mark::open;
    stack.push_back(node);
    if (const auto it = graph.find(node); it != graph.end()) {
      for (const auto& next : it->second) {
        if (marks[next] == Mark::open) {
          auto from = std::find(stack.begin(), stack.end(), next);
          for (; from != stack.end(); ++from) cycle += *from + " -> ";
          cycle += next;
          return true;
        }
        if (marks[next] == Mark::none && visit(next)) return true;
      }
    }
    stack.pop_back();
    marks[node] = Mark::done;
    return false;
  };
  for (const auto& [node, edges] : graph)
    if (marks[node] == Mark::none && visit(node)) return cycle;
  return {};
}

TEST(RealtimeIncludeGraph, ReadsTheSources) {
  const Graph files = read_file_graph();
  // The reader really sees the layers and their includes (a test that reads nothing passes
  // vacuously): websocket's Connection includes io's ThreadContext.
  ASSERT_TRUE(files.count("realtime/websocket/connection.hpp"));
  EXPECT_TRUE(files.at("realtime/websocket/connection.hpp").count("realtime/io/thread_context.hpp"));
  const Graph folders = folder_graph(files);
  EXPECT_TRUE(folders.at("realtime/socketio").count("realtime/engineio"));
}

TEST(RealtimeIncludeGraph, FilesHaveNoCycle) {
  EXPECT_EQ(find_cycle(read_file_graph()), "");
}

TEST(RealtimeIncludeGraph, FoldersHaveNoCycle) {
  EXPECT_EQ(find_cycle(folder_graph(read_file_graph())), "");
}

TEST(RealtimeIncludeGraph, FindsACycle) {
  // The detector itself: the cycle this test was written against.
  const Graph graph = {{"realtime/io", {"realtime/websocket"}},
                       {"realtime/websocket", {"realtime/engineio", "realtime/io"}},
                       {"realtime/engineio", {"realtime/websocket"}}};
  EXPECT_EQ(find_cycle(graph), "realtime/engineio -> realtime/websocket -> realtime/engineio");
  EXPECT_EQ(find_cycle({{"a", {"b"}}, {"b", {}}}), "");
}

}  // namespace
