// The media routes (docs/media.md): uploads streamed to the media store, the
// attachments' metadata, files and thumbnails streamed back out with Range,
// ETag and the headers that keep a hostile upload from running in our origin,
// and media tokens for `?access=`.
#include <boost/json/object.hpp>

#include "auth/media_tokens.hpp"
#include "chat/attachments.hpp"
#include "chat/views.hpp"
#include "http/api/authenticated.hpp"
#include "http/byte_range.hpp"
#include "media/blob_store.hpp"
#include "media/file_names.hpp"
#include "media/upload_file.hpp"

namespace parley::http::api {

namespace json = boost::json;

namespace {

Error media_not_configured() { return Error::unavailable("media is not configured on this server"); }

// The caller of a media route. The API token comes only in the Authorization
// header; `?access=` takes only a media token (auth/media_tokens.hpp), never
// an API token, so that no credential worth more than an hour of media ends up
// in URLs.
Result<Id> media_caller(const ApiContext& context, const Request& request, bool allow_access_token) {
  if (!request.authorization.empty()) {
    if (auto known = context.accounts->authenticate_in_memory(request.authorization)) return *known;
    auto user = context.accounts->authenticate(request.authorization);
    if (!user) return user.error();
    return user->id;
  }
  if (allow_access_token) {
    if (auto access = request.query_param("access")) {
      if (!context.media_tokens) return Error::unauthorized("media tokens are not accepted here");
      return context.media_tokens->verify(*access);
    }
  }
  return Error::unauthorized();
}

Response attachment_response(int status, const store::AttachmentRow& row) {
  return json_text_response(status, "{\"attachment\":" + chat::attachment_json(row) + "}");
}

// One upload: the body into an UploadFile, then Attachments::finish_upload.
class UploadSink final : public BodySink {
 public:
  UploadSink(chat::Attachments& attachments, chat::UploadTicket ticket, media::UploadFile file)
      : attachments_(attachments), ticket_(std::move(ticket)), file_(std::move(file)) {}

  Status append(std::span<const char> bytes) override { return file_.append(bytes); }

  Response finish() override {
    if (auto done = file_.finish(); !done) return error_response(done.error());
    auto row = attachments_.finish_upload(ticket_, std::move(file_));
    if (!row) return error_response(row.error());
    return attachment_response(201, *row);
  }

 private:
  chat::Attachments& attachments_;
  chat::UploadTicket ticket_;
  media::UploadFile file_;  // removed with the sink unless finish_upload took it
};

std::variant<Response, std::unique_ptr<BodySink>> begin_upload(const ApiContext& context, Request& request) {
  if (!context.attachments || !context.media_store) return error_response(media_not_configured());
  auto caller = media_caller(context, request, false);
  if (!caller) return error_response(caller.error());
  if (context.presence) context.presence->touch(*caller);
  auto ticket = context.attachments->begin_upload(*caller, request.query_param("conversationId").value_or(""),
                                                  request.query_param("name").value_or(""), request.content_length);
  if (!ticket) return error_response(ticket.error());
  auto file = media::UploadFile::create(context.media_store->temp_dir(), ticket->max_bytes);
  if (!file) return error_response(file.error());
  return std::make_unique<UploadSink>(*context.attachments, std::move(*ticket), std::move(*file));
}

// A file or thumbnail: 200, 206 for a Range, 304 for a matching If-None-Match,
// 416 for a range past the end; the body streams from the media store.
Response download(const ApiContext& context, Request& request, chat::MediaVariant variant) {
  if (!context.attachments) return error_response(media_not_configured());
  auto caller = media_caller(context, request, true);
  if (!caller) return error_response(caller.error());
  auto opened = context.attachments->open(*caller, request.param("id"), variant, request.param("name"));
  if (!opened) return error_response(opened.error());
  chat::Download& file = *opened;

  Response response;
  response.content_type = file.content_type;
  response.headers.emplace_back("ETag", file.etag);
  response.headers.emplace_back("Cache-Control", file.immutable ? "public, max-age=31536000, immutable"
                                                                : "private, max-age=3600");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Security-Policy", "sandbox");
  response.headers.emplace_back("Accept-Ranges", "bytes");
  response.headers.emplace_back("Content-Disposition", media::content_disposition(file.file_name, file.inline_display));
  if (etag_matches(request.if_none_match, file.etag)) {
    response.status = 304;
    return response;
  }
  const std::int64_t size = file.reader->size();
  const RangeAnswer range = parse_range(request.range, size);
  if (range.kind == RangeAnswer::Kind::unsatisfiable) {
    Response refused = error_response(Error::bad_request("range_not_satisfiable", "the range starts past the end"));
    refused.status = 416;
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return refused;
  }
  response.stream = std::shared_ptr<media::BlobReader>(std::move(file.reader));
  if (range.kind == RangeAnswer::Kind::partial) {
    response.status = 206;
    response.stream_offset = range.first;
    response.stream_length = range.length;
    response.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                       std::to_string(range.first + range.length - 1) + "/" +
                                                       std::to_string(size));
  } else {
    response.stream_length = size;
  }
  return response;
}

}  // namespace

void add_media_routes(Router& router, const ApiContext& context) {
  router.add_streaming("POST", "/api/uploads", [context](Request& r) { return begin_upload(context, r); });
  router.add("GET", "/api/attachments/:id", [context](Request& r) {
    if (!context.attachments) return error_response(media_not_configured());
    auto caller = media_caller(context, r, true);
    if (!caller) return error_response(caller.error());
    auto row = context.attachments->visible(*caller, r.param("id"));
    if (!row) return error_response(row.error());
    Response response = attachment_response(200, *row);
    response.headers.emplace_back("Cache-Control", "private, no-cache");
    return response;
  });
  router.add("GET", "/api/attachments/:id/file",
             [context](Request& r) { return download(context, r, chat::MediaVariant::file); });
  // The name tells the small thumbnail from the large preview (Attachments::open).
  router.add("GET", "/api/attachments/:id/thumbnails/:name",
             [context](Request& r) { return download(context, r, chat::MediaVariant::thumbnail_small); });
  router.add("POST", "/api/media/token", authenticated_id(context, [context](Request&, Id caller) {
               if (!context.media_tokens) return error_response(media_not_configured());
               const auto issued = context.media_tokens->issue(caller);
               return json_response(200, json::object{{"token", issued.token},
                                                      {"expiresAt", format_iso8601(issued.expires_at)}});
             }));
}

}  // namespace parley::http::api
