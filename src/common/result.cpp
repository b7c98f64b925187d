#include "common/result.hpp"

namespace parley {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::unsupported_media_type: return 415;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

}  // namespace parley
