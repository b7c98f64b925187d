#include "server_metrics.hpp"

#include <cmath>
#include <sstream>

#include "rest_client.hpp"

namespace parley::bench {

namespace json = boost::json;

MetricSample scrape_realtime_metrics(const Options& options) {
  MetricSample sample;
  if (options.target != Target::parley) return sample;
  RestClient client(options.host, options.port);
  const RestAnswer answer = client.get("/metrics");
  if (answer.status != 200) return sample;
  std::istringstream lines(answer.body);
  std::string line;
  constexpr std::string_view kPrefix = "parley_realtime_";
  while (std::getline(lines, line)) {
    if (line.rfind(kPrefix, 0) != 0 || line.find('{') != std::string::npos) continue;
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    try {
      sample[line.substr(kPrefix.size(), space - kPrefix.size())] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // a sample that is not a number is not one of ours
    }
  }
  return sample;
}

json::object metric_deltas(const MetricSample& before, const MetricSample& after) {
  json::object o;
  for (const auto& [name, value] : after) {
    if (!name.ends_with("_total")) continue;
    const auto it = before.find(name);
    o[name] = value - (it == before.end() ? 0 : it->second);
  }
  auto delta = [&](const char* name) {
    const json::value* v = o.if_contains(name);
    return v ? v->to_number<double>() : 0.0;
  };
  const double writes = delta("write_calls_total");
  const double frames = delta("frames_sent_total");
  if (writes > 0) o["frames_per_write"] = std::round(frames / writes * 100) / 100;
  if (frames > 0) o["bytes_per_frame"] = std::round(delta("bytes_sent_total") / frames);
  return o;
}

}  // namespace parley::bench
