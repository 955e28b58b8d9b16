// SPDX-License-Identifier: Apache-2.0
// Theory of operation: the HTTP/1.x inspector of the Snort port. It reproduces what Snort 3's
// http_inspect (src/service_inspectors/http_inspect/, default configuration) hands to rules:
// it cuts each direction's in-order byte stream into message sections exactly where Snort's
// stream splitter (http_cutter.cc) cuts them, and fills, per section, the buffers rule options
// read (http_msg_section.cc get_classic_buffer()).
//
// Sections, and the buffers each one carries (HttpSection):
//  - kHeader (Snort PS_HEADER): emitted once the whole header block arrived (or the connection
//    closed). The start line is its own section in Snort but is never sent to detection (except
//    an HTTP/0.9 request, which is emitted as a kHeader section without headers), so its buffers
//    ride on the header section. Client: request line (http_method, http_raw_uri, http_uri,
//    http_raw_request) + http_raw_header, http_header, http_cookie, http_raw_cookie. Server:
//    status line (http_stat_code, http_stat_msg, http_raw_status) + the same header buffers
//    (cookie = Set-Cookie) + the matching request's request line. pkt_data is empty: Snort sets
//    the detect limit of start-line and header sections to 0.
//  - kBody (PS_BODY): one per body piece. Pieces end at the end of the body, or after
//    stream.max_pdu (16384) raw body octets, 2048 when gzip/deflate is being decoded (Snort adds
//    a pseudo-random -64..+63; we add 0), or when decoded data would pass 63780 octets. Chunk
//    framing is removed, gzip/deflate (Content-Encoding) is inflated, UTF-16/32 bodies (charset
//    or BOM) are narrowed. Buffers: pkt_data (the piece), file_data (the piece after UTF
//    narrowing), http_raw_body, and for requests http_client_body (file_data percent-decoded,
//    as Snort's classic normalization). Every body section also carries its message's start line
//    and header buffers (rules mixing http_uri and http_client_body are evaluated at the body).
//    Empty pieces are not emitted (Snort runs no detection on them).
//  - kTrailer (PS_TRAILER): the trailer block after a chunked body, when non-empty.
// A body with neither Transfer-Encoding: chunked nor a positive Content-Length is empty for a
// request and runs to connection close for a response. Responses to HEAD, 1xx, 204 and 304 have
// no body; a 2xx answer to CONNECT ends HTTP inspection of the connection (Snort hands the flow
// back to the wizard). Request and response depths are unlimited by default.
//
// Rule timing (for the engine; parse_rule.cc select_section(), fp_create.cc): a rule is
// evaluated on the sections of the latest PduSection among its options. Only header-section
// buffers (http_uri, http_raw_uri, http_method, http_header, http_raw_header, http_cookie,
// http_stat_code, http_stat_msg, ...) -> kHeader sections. Any of http_client_body, file_data,
// or a content/pcre/byte_* read from pkt_data (including one placed before the first sticky
// buffer, as snort2lua writes Snort 2 rules) -> kBody sections, where the header buffers are
// still available. http_trailer -> kTrailer. A pkt_data-only rule without HTTP options also runs
// on the raw packets. The HTTP service itself is assigned by Snort's wizard (request methods /
// "HTTP/" at the start of a direction), on any port.
//
// Normalization (http_uri_norm.cc defaults): %hh decoding, 2- and 3-byte %-encoded UTF-8
// reduced to one byte (0xFF above 0xFF), double decoding of %25hh and %%hh, '\' -> '/',
// '+' -> ' ', and in the path /./, /../ and // removal; %uNNNN is not decoded (percent_u off).
// For absolute URIs http_uri is the normalized path?query#fragment only. http_header and
// http_cookie get only the percent/UTF-8/double decoding (classic normalization); http_header
// leaves out the Cookie (Set-Cookie) lines, http_raw_header does not.
//
// State: HttpState (one per direction) and HttpSession (both, with the request/response pairing)
// are plain data — strings, vectors, enums, plain structs — so they can live in an S6
// SingleWriter object and move between instances. Inflating across packets without keeping a
// zlib object alive uses deflate block-boundary checkpoints (the zran technique): the last 32 KiB
// of output, the bit position, and the compressed bytes consumed since.
//
// Not reproduced: the wizard; partial inspections (partial_depth_*, script_detection, a chunked
// piece ending inside a possible zero-length chunk), MIME attachments of multipart request bodies
// (file_data is left empty for them; http_client_body is the raw body as in Snort), JavaScript
// normalization (off by default), file decompression (pdf/swf/zip, off by default), HTTP/2,
// the gzip/zlib trailer checksums; a single deflate block whose output passes 1 MiB stops
// decoding (the checkpoint redo would get too costly), the rest is then passed through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snort {

/// URI normalization options (http_inspect defaults).
struct HttpUriConfig {
  bool percent_u = false;
  bool utf8 = true;
  bool utf8_bare_byte = false;
  bool iis_double_decode = true;
  bool backslash_to_slash = true;
  bool plus_to_space = true;
  bool simplify_path = true;
};

/// http_inspect settings that change buffers; the defaults are Snort 3's.
struct HttpConfig {
  int64_t request_depth = -1;   ///< request body bytes to inspect (-1: all)
  int64_t response_depth = -1;  ///< response body bytes to inspect (-1: all)
  bool unzip = true;            ///< inflate gzip/deflate Content-Encoding
  bool normalize_utf = true;    ///< narrow UTF-16/UTF-32 bodies
  uint32_t max_pdu = 16384;     ///< body section size (snort.max_pdu)
  HttpUriConfig uri;
};

/// Which rule-evaluation point a section is (Snort's PduSection).
enum class HttpPdu : uint8_t { kHeader, kBody, kTrailer };

/// How the message body is delimited.
enum class HttpBodyType : uint8_t { kNone, kContentLength, kChunked, kToClose };

/// Buffers from a request line.
struct HttpRequestLine {
  std::string raw_request;  ///< the request line without its terminator (http_raw_request)
  std::string method;       ///< http_method
  std::string raw_uri;      ///< http_raw_uri
  std::string uri;          ///< http_uri (normalized)
  std::string version;      ///< "HTTP/1.1"; empty for HTTP/0.9
  bool zero_nine = false;   ///< an HTTP/0.9 request ("GET /path")
};

/// Buffers from a status line.
struct HttpStatusLine {
  std::string raw_status;  ///< the status line without its terminator (http_raw_status)
  std::string version;     ///< "HTTP/1.1"
  std::string stat_code;   ///< http_stat_code (3 characters)
  std::string stat_msg;    ///< http_stat_msg (reason phrase)
  int code = -1;           ///< numeric status, -1 when not three digits
};

/// Buffers from a header (or trailer) block.
struct HttpHeaderBuffers {
  bool present = false;    ///< the block was received (it may still be empty)
  std::string raw;         ///< http_raw_header / http_raw_trailer: the block as received
  std::string norm;        ///< http_header / http_trailer: without cookie lines, decoded
  std::string cookie;      ///< http_cookie: Cookie (requests) / Set-Cookie (responses), decoded
  std::string raw_cookie;  ///< http_raw_cookie: the cookie values, whitespace-normalized
};

/// One message section that goes to detection. Empty strings are absent buffers (Snort gives
/// no match on a zero-length buffer).
struct HttpSection {
  HttpPdu pdu = HttpPdu::kHeader;
  bool from_client = true;     ///< request side (to_server)
  uint64_t message = 0;        ///< 1-based message number in this direction
  bool has_request = false;    ///< `request` is filled (always on the client side)
  HttpRequestLine request;     ///< client: this request; server: the request it answers
  HttpStatusLine status;       ///< server sections: this response's status line
  HttpHeaderBuffers headers;   ///< this message's headers (absent for HTTP/0.9)
  HttpHeaderBuffers trailers;  ///< kTrailer sections only
  HttpBodyType body_type = HttpBodyType::kNone;
  std::string pkt_data;      ///< what pkt_data/raw content sees (body sections only)
  std::string file_data;     ///< file_data (body sections)
  std::string raw_body;      ///< http_raw_body (body sections)
  std::string client_body;   ///< http_client_body (request body sections)
  bool message_end = false;  ///< the last section of this message
};

/// What a direction expects next.
enum class HttpExpect : uint8_t { kStartLine, kHeaders, kBody, kTrailers, kAborted, kClosed };

/// Start-line cutter (HttpStartCutter / HttpRequestCutter / HttpStatusCutter).
struct HttpStartCut {
  bool started = false;    ///< a non-whitespace octet was seen
  uint8_t leading_ws = 0;  ///< whitespace discarded before the start line
  bool validated = false;
  uint32_t checked = 0;  ///< octets checked by validation
  bool check_h2 = true;  ///< still matching the HTTP/2 connection preface
  bool cr = false;       ///< the previous octet was a CR
};

/// Header-block cutter (HttpHeaderCutter).
struct HttpHeaderCut {
  uint8_t state = 2;  ///< 0 ZERO, 1 HALF, 2 ONE, 3 THREEHALF
  uint32_t crlf = 0;  ///< trailing separator octets
};

/// Chunked-body parser (HttpBodyChunkCutter).
struct HttpChunkState {
  uint8_t state = 0;      ///< newlines, leading ws, zeros, number, trailing ws, options,
                          ///< header CRLF, data, data CR, data LF, bad
  uint32_t expected = 0;  ///< chunk data octets still due
  uint32_t leading_ws = 0;
  uint32_t zeros = 0;
  uint32_t digits = 0;
  bool zero_chunk = true;
};

/// Resumable inflater (see http.cc). Plain data: zlib state is rebuilt from a checkpoint.
struct HttpInflateState {
  uint8_t phase = 0;      ///< off, header, deflate, trailer, passthrough
  uint8_t wrapper = 0;    ///< none, gzip, zlib
  std::string header;     ///< wrapper header octets buffered until complete
  std::string window;     ///< last <= 32 KiB of output before the checkpoint
  uint8_t ckpt_bits = 0;  ///< unused bits of the byte before the checkpoint
  uint8_t ckpt_byte = 0;
  std::string pending;        ///< compressed octets consumed since the checkpoint
  uint64_t produced = 0;      ///< output produced from `pending` (already handed out)
  uint32_t trailer_left = 0;  ///< wrapper trailer octets still to skip
};

/// UTF-16/32 narrowing (helpers/utf.cc UtfDecodeSession).
struct HttpUtfState {
  bool active = false;
  uint8_t charset = 0;   ///< Snort's CharsetCode
  bool by_guess = true;  ///< charset guessed (not announced, no BOM)
  uint8_t step = 0;      ///< position inside a 2- or 4-octet unit
};

/// The body being cut.
struct HttpBodyState {
  HttpBodyType type = HttpBodyType::kNone;
  int64_t remaining = 0;  ///< Content-Length octets not yet cut into sections
  HttpChunkState chunk;
  bool chunk_bad = false;  ///< chunk framing broke: the rest is raw data
  bool mime = false;       ///< multipart request body
  uint32_t target = 0;     ///< section size target in counted octets (0: discard)
  bool stretch = false;
  uint32_t octets = 0;       ///< octets counted toward the target in this section
  uint32_t raw_octets = 0;   ///< raw octets in this section
  std::string data;          ///< decoded octets of this section
  std::string raw;           ///< raw octets since the last good chunk in this section
  size_t good_data_end = 0;  ///< data length at the last complete chunk in this section
  int64_t depth_left = 0;    ///< detection depth left
  bool compressed = false;   ///< a gzip/deflate decoder is set up
  HttpInflateState inflate;
  HttpUtfState utf;
};

/// One direction of an HTTP/1 connection.
struct HttpState {
  HttpState() = default;
  explicit HttpState(bool client_side, HttpConfig cfg = {})
      : from_client(client_side), config(cfg) {}

  /// Feeds the next in-order bytes of this direction; appends completed sections to `out`.
  /// Call it once per delivered chunk (the chunk stands for Snort's TCP segment when a body
  /// piece may stretch to the segment end, which only happens with a configured depth).
  void Feed(std::string_view bytes, std::vector<HttpSection>* out);
  /// This direction ended (FIN/RST/end of capture): flushes what Snort flushes at close.
  void Finish(std::vector<HttpSection>* out);
  /// Stops inspection of this direction (hole in the stream, not HTTP, CONNECT tunnel).
  void Abort();

  bool from_client = true;
  HttpConfig config;
  HttpExpect expect = HttpExpect::kStartLine;
  std::string pending;  ///< octets of the start line / header block being cut
  HttpStartCut start;
  HttpHeaderCut head;
  uint64_t message = 0;
  // The current message.
  bool has_request = false;
  HttpRequestLine request;
  HttpStatusLine status;
  HttpHeaderBuffers headers;
  bool version_1_0 = false;
  HttpBodyState body;
  // Server side: requests not yet answered, oldest first (filled by HttpSession).
  std::vector<HttpRequestLine> awaiting;
  bool pairing_lost = false;  ///< pipeline overflow: responses are no longer paired
  bool cutover = false;       ///< a CONNECT succeeded: the other direction must stop too
};

/// Both directions of a connection, pairing responses with requests.
struct HttpSession {
  explicit HttpSession(HttpConfig cfg = {}) : client(true, cfg), server(false, cfg) {}

  /// Client -> server bytes.
  void FeedClient(std::string_view bytes, std::vector<HttpSection>* out);
  /// Server -> client bytes.
  void FeedServer(std::string_view bytes, std::vector<HttpSection>* out);
  void FinishClient(std::vector<HttpSection>* out);
  void FinishServer(std::vector<HttpSection>* out);

  HttpState client;
  HttpState server;
};

/// http_uri of a request URI (exposed for tests). `connect`: the method is CONNECT.
std::string HttpNormalizeUri(std::string_view raw_uri, bool connect, const HttpUriConfig& config);

/// Snort's "classic" normalization of non-URI buffers (http_header, http_cookie,
/// http_client_body): percent, UTF-8 and double decoding only.
std::string HttpClassicNormalize(std::string_view raw, const HttpUriConfig& config);

}  // namespace snort
