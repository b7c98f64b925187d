#pragma once
// Socket.IO protocol v5 packet codec (the wire format of the reference socket.io-parser).
//
//   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//   then, for BINARY_EVENT / BINARY_ACK, <attachments> binary Engine.IO messages.
//
// Binary data are represented as the wire carries them: the JSON payload keeps its
// {"_placeholder":true,"num":N} objects and `Packet::attachments[N]` holds the bytes. The
// application finds the bytes of a placeholder with `find_attachment`, and forwarding a
// packet with binary needs no rewriting: encode the same JSON and send the same
// attachments. A decoded packet has type event or ack (never binary_*); it carries binary
// exactly when `attachments` is not empty.
//
// Decoding is strict (see `decode_text`); any error means the peer broke the protocol and
// the connection should be closed. Encoding serializes the payload once, straight into the
// caller's buffer, so a broadcast encodes one packet and shares the bytes.
//
// Thread-safety: free functions are pure and may run concurrently on any thread. A
// `Reconstructor` is per connection and not synchronized: use it from the connection's
// thread only. Ownership: decoded packets own their strings and JSON (default memory
// resource); nothing points into the input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.hpp"

namespace parley::socketio {

enum class PacketType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

// "CONNECT", "DISCONNECT", ... for logs and test names.
std::string_view to_string(PacketType type) noexcept;

inline constexpr std::string_view kMainNamespace = "/";

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = std::string(kMainNamespace);  // always starts with '/'
  std::optional<std::uint64_t> id;                 // ack id
  std::optional<boost::json::value> data;          // nullopt: no payload at all
  std::vector<std::string> attachments;            // bytes of placeholder N at index N

  friend bool operator==(const Packet&, const Packet&) = default;
};

struct DecodeOptions {
  // Most binary attachments one packet may announce. socket.io-parser 4.2.6 defaults to 10.
  std::size_t max_attachments = 10;
  // Deepest nesting of JSON arrays/objects accepted in a payload (bounds the recursion of
  // the parser and of the placeholder walk).
  std::size_t max_depth = 64;
};

// ---- encoding ----

// Appends the text form of a packet to `out` (nothing else: prepend "4" yourself for the
// Engine.IO message packet, e.g. `std::string frame = "4"; encode_to(frame, p);`).
// The wire type is binary (5 / 6, with "<N>-") when `type` is binary_* or `attachment_count`
// is non-zero; the namespace is written only when it is not "/"; `data` may be null.
// REQUIRES: nsp starts with '/' and contains no ','; the caller sends `attachment_count`
// binary messages after the text.
void encode_to(std::string& out, PacketType type, std::string_view nsp,
               std::optional<std::uint64_t> id, const boost::json::value* data,
               std::size_t attachment_count = 0);

void encode_to(std::string& out, const Packet& packet);

std::string encode(const Packet& packet);

// ---- decoding ----

// A decoded text packet. When `attachments_expected` > 0, that many binary messages must
// follow and complete `packet` (see Reconstructor).
struct DecodedText {
  Packet packet;
  std::size_t attachments_expected = 0;
};

// Decodes the text of one packet (the data of an Engine.IO text message). Rejects, with
// ErrorKind::bad_request and a "sio_*" code:
//  - empty input, a type other than 0..6;
//  - binary types: an attachment count that is not 1+ digits followed by '-', or above
//    `max_attachments`;
//  - a namespace that is not valid UTF-8 or contains a control character (it may be
//    echoed in a CONNECT_ERROR); a namespace is present when the text goes on with '/'
//    and runs to the next ',' or to the end, as in the reference parser;
//  - an ack id above 2^64-1, or on a packet other than EVENT / ACK; an ACK without one;
//  - a payload that is not exactly one JSON value (trailing garbage, invalid UTF-8 in
//    strings, nesting deeper than `max_depth`, a number too large for a finite double
//    such as 1e400); JSON whitespace around the value is allowed, as JSON.parse allows;
//  - payload shapes: CONNECT an object or absent; DISCONNECT absent; EVENT a non-empty
//    array whose first element is a string and not a reserved event name (connect,
//    connect_error, disconnect, disconnecting, newListener, removeListener); ACK an array;
//    CONNECT_ERROR an object or a string;
//  - binary packets: an object with "_placeholder": true that is not exactly
//    {"_placeholder":true,"num":N} with an integer 0 <= N < attachment count.
// The returned packet has type event / ack for binary_event / binary_ack.
Result<DecodedText> decode_text(std::string_view text, const DecodeOptions& options = {});

// Collects the binary attachments that follow a binary packet and yields whole packets.
// One per connection (Engine.IO session); feed it every message in order.
class Reconstructor {
 public:
  explicit Reconstructor(DecodeOptions options = {}) : options_(options) {}

  // A text message. Yields the packet, or nullopt when it announces attachments.
  // Error when attachments are still awaited ("sio_unexpected_text").
  Result<std::optional<Packet>> add_text(std::string_view text);

  // A binary message. Yields the packet once its last attachment arrives.
  // Error when no packet awaits attachments ("sio_unexpected_binary").
  Result<std::optional<Packet>> add_binary(std::string bytes);

  bool awaiting_attachments() const noexcept { return pending_.has_value(); }
  // Bytes of attachments held for the pending packet (at most max_attachments messages,
  // each bounded by the Engine.IO maxPayload).
  std::size_t buffered_bytes() const noexcept { return buffered_bytes_; }
  // Drops a pending packet. After any error the reconstructor is reset too.
  void reset() noexcept;

 private:
  DecodeOptions options_;
  std::optional<Packet> pending_;
  std::size_t expected_ = 0;
  std::size_t buffered_bytes_ = 0;
};

// ---- helpers for the application layer ----

// True for the event names the protocol reserves.
bool is_reserved_event_name(std::string_view name) noexcept;

// The event name of a decoded EVENT (its first array element); empty if `packet` is not
// an event with a string name.
std::string_view event_name(const Packet& packet) noexcept;

// {"_placeholder":true,"num":num}
boost::json::value make_placeholder(std::size_t num);

// N when `value` is exactly {"_placeholder":true,"num":N} with an integer N >= 0.
std::optional<std::size_t> placeholder_num(const boost::json::value& value) noexcept;

// The attachment a placeholder in `packet.data` stands for, or null when `value` is not a
// placeholder or its num is out of range.
const std::string* find_attachment(const Packet& packet, const boost::json::value& value) noexcept;

}  // namespace parley::socketio
