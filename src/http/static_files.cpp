#include "http/static_files.hpp"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "http/compression.hpp"

namespace parley::http {

namespace fs = std::filesystem;

namespace {

std::string content_type_for(const fs::path& file) {
  static const std::unordered_map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},     {".json", "application/json"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".jpg", "image/jpeg"},                  {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                   {".webp", "image/webp"},
      {".ico", "image/x-icon"},                {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},            {".woff", "font/woff"},
      {".woff2", "font/woff2"},                {".webmanifest", "application/manifest+json"},
  };
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

bool compressible(const std::string& type) {
  return type.starts_with("text/") || type.starts_with("application/json") || type.starts_with("image/svg") ||
         type.starts_with("application/manifest");
}


}  // namespace

Result<std::unique_ptr<StaticFiles>> StaticFiles::load(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Error::internal("web dir " + root.string() + " is not a folder");
  if (!fs::exists(root / "index.html", ec))
    return Error::internal("web dir " + root.string() + " has no index.html (build the client: make web)");
  auto files = std::unique_ptr<StaticFiles>(new StaticFiles());
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path& file = it->path();
    if (file.filename().string().starts_with(".")) continue;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) return Error::internal("cannot read " + file.string());
    File entry;
    entry.body = content.str();
    entry.content_type = content_type_for(file);
    const std::string url = "/" + fs::relative(file, root).generic_string();
    if (url.starts_with("/_next/static/")) entry.cache_control = "public, max-age=31536000, immutable";
    else if (file.extension() == ".html") entry.cache_control = "no-cache";
    else entry.cache_control = "public, max-age=3600";
    if (compressible(entry.content_type) && entry.body.size() >= 512) {
      entry.gzipped = gzip(entry.body, Z_BEST_COMPRESSION);  // once per file: the best ratio
      if (entry.gzipped.size() >= entry.body.size()) entry.gzipped.clear();
    }
    entry.etag = "\"" + std::to_string(std::hash<std::string>{}(entry.body)) + "\"";
    files->files_.emplace(url, std::move(entry));
  }
  if (ec) return Error::internal("cannot list web dir " + root.string() + ": " + ec.message());
  return files;
}

const StaticFiles::File* StaticFiles::find(std::string_view path) const {
  if (path.find("..") != std::string_view::npos) return nullptr;
  std::string key(path);
  if (key.empty() || key == "/") key = "/index.html";
  if (auto it = files_.find(key); it != files_.end()) return &it->second;
  const std::string trimmed = key.ends_with('/') ? key.substr(0, key.size() - 1) : key;
  if (auto it = files_.find(trimmed + ".html"); it != files_.end()) return &it->second;
  if (auto it = files_.find(trimmed + "/index.html"); it != files_.end()) return &it->second;
  // A client-side route (no file extension in the last segment): the app shell.
  const auto last = trimmed.substr(trimmed.rfind('/') + 1);
  if (last.find('.') == std::string::npos) {
    if (auto it = files_.find("/index.html"); it != files_.end()) return &it->second;
  }
  return nullptr;
}

std::optional<Response> StaticFiles::serve(std::string_view path, bool accepts_gzip) const {
  const File* file = find(path);
  if (!file) return std::nullopt;
  Response response;
  response.content_type = file->content_type;
  response.headers.emplace_back("Cache-Control", file->cache_control);
  response.headers.emplace_back("ETag", file->etag);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!file->gzipped.empty()) {
    response.headers.emplace_back("Vary", "Accept-Encoding");
    if (accepts_gzip) {
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.body = file->gzipped;
      return response;
    }
  }
  response.body = file->body;
  return response;
}

}  // namespace parley::http
