#pragma once
// The built web client, served from memory. Files are read once at start (a
// static export is a few MB), text files are gzip-compressed once, and every
// response carries the cache headers a CDN in front would want: hashed assets
// (/_next/static/) immutable for a year, HTML no-cache. Paths without a file
// fall back to index.html so client-side routes work on reload.
//
// Thread-safety: immutable after load(); serve() may be called from any thread.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "http/request.hpp"

namespace parley::http {

class StaticFiles {
 public:
  // Reads every file under `root`. An error if root is not a readable folder
  // with an index.html.
  static Result<std::unique_ptr<StaticFiles>> load(const std::filesystem::path& root);

  // The response for a GET of `path`, or nullopt when nothing matches (not even
  // the fallback, as for a missing asset with a file extension).
  std::optional<Response> serve(std::string_view path, bool accepts_gzip) const;

  std::size_t file_count() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string cache_control;
    std::string body;
    std::string gzipped;  // empty when not worth compressing
    std::string etag;
  };
  const File* find(std::string_view path) const;

  std::unordered_map<std::string, File> files_;  // by URL path: "/index.html"
};

}  // namespace parley::http
