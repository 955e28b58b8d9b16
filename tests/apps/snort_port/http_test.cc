// SPDX-License-Identifier: Apache-2.0
// Unit tests of the HTTP/1 inspector (apps/snort_port/http.h): URI and classic normalization,
// section cutting (headers, Content-Length, chunked, run-to-close bodies, trailers), every
// split of a message across segments, pipelining and request/response pairing, gzip/deflate,
// UTF-16, depths, malformed input, and real captures from the nDPI corpus read with a tiny
// pcap/pcapng reader and reassembled with stream.h.
#include "http.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "stream.h"
#include "util/capture.h"

namespace snort {
namespace {

using Sections = std::vector<HttpSection>;

HttpUriConfig DefaultUri() { return HttpConfig{}.uri; }

std::string Norm(std::string_view uri) { return HttpNormalizeUri(uri, false, DefaultUri()); }

Sections FeedAll(HttpState& st, std::string_view bytes, bool finish = false) {
  Sections out;
  st.Feed(bytes, &out);
  if (finish) st.Finish(&out);
  return out;
}

Sections Request(std::string_view bytes, bool finish = false, HttpConfig config = {}) {
  HttpState st(true, config);
  return FeedAll(st, bytes, finish);
}

Sections Response(std::string_view bytes, bool finish = false, HttpConfig config = {}) {
  HttpState st(false, config);
  return FeedAll(st, bytes, finish);
}

// Concatenated file_data of the body sections.
std::string Body(const Sections& s) {
  std::string out;
  for (const HttpSection& x : s) {
    if (x.pdu == HttpPdu::kBody) out += x.file_data;
  }
  return out;
}

size_t Count(const Sections& s, HttpPdu pdu) {
  size_t n = 0;
  for (const HttpSection& x : s) n += x.pdu == pdu;
  return n;
}

std::string Gzip(std::string_view data, int window_bits = 31, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Text that compresses to many deflate blocks (pseudo-random words).
std::string Words(size_t n) {
  static const char* kWords[] = {"alpha ", "bravo ", "charlie ", "delta ",   "echo ", "foxtrot ",
                                 "golf ",  "hotel ", "india ",   "juliet\n", "kilo ", "lima "};
  std::string out;
  uint32_t x = 7;
  while (out.size() < n) {
    x = x * 1103515245u + 12345u;
    out += kWords[(x >> 16) % 12];
    if ((x >> 8) % 7 == 0) out += std::to_string(x % 100000);
  }
  out.resize(n);
  return out;
}

// --- Normalization ---------------------------------------------------------------------------

TEST(HttpUri, PlainUrisAreUnchanged) {
  EXPECT_EQ(Norm("/index.html"), "/index.html");
  EXPECT_EQ(Norm("/a/b.c/d?x=1&y=2#frag"), "/a/b.c/d?x=1&y=2#frag");
  EXPECT_EQ(Norm("*"), "*");
}

TEST(HttpUri, PercentDecoding) {
  EXPECT_EQ(Norm("/%41%42c"), "/ABc");
  EXPECT_EQ(Norm("/a%2fb"), "/a/b");
  EXPECT_EQ(Norm("/p?q=%3Cscript%3E"), "/p?q=<script>");
  // Unknown escapes pass through; %%41 and %2541 are decoded twice (iis_double_decode).
  EXPECT_EQ(Norm("/a%zz"), "/a%zz");
  EXPECT_EQ(Norm("/%2541"), "/A");
  EXPECT_EQ(Norm("/%%41"), "/A");
  // %u is not decoded by default.
  EXPECT_EQ(Norm("/%u0041"), "/%u0041");
  HttpUriConfig u = DefaultUri();
  u.percent_u = true;
  EXPECT_EQ(HttpNormalizeUri("/%u0041", false, u), "/A");
}

TEST(HttpUri, Utf8SequencesBecomeOneOctet) {
  EXPECT_EQ(Norm("/%c0%af"), "/");  // overlong '/' then path simplification
  EXPECT_EQ(Norm("/a%c0%afb"), "/a/b");
  EXPECT_EQ(Norm("/%e2%80%a6"), "/\xff");  // above 0xFF -> 0xFF
  EXPECT_EQ(Norm("/%c3%a9"), "/\xe9");
}

TEST(HttpUri, PathSimplification) {
  EXPECT_EQ(Norm("/a/./b/../c"), "/a/c");
  EXPECT_EQ(Norm("/a//b///c"), "/a/b/c");
  EXPECT_EQ(Norm("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(Norm("/foo/.."), "/");
  EXPECT_EQ(Norm("/foo/."), "/foo/");
  EXPECT_EQ(Norm("/a/%2e%2e/b"), "/b");
  // Only the path is simplified.
  EXPECT_EQ(Norm("/a?x=/../y"), "/a?x=/../y");
  EXPECT_EQ(Norm("/a/../b?x=%2e%2e/"), "/b?x=../");
}

TEST(HttpUri, BackslashAndPlus) {
  EXPECT_EQ(Norm("/a\\b\\..\\c"), "/a/c");
  EXPECT_EQ(Norm("/a+b?c=d+e"), "/a b?c=d e");
}

TEST(HttpUri, AbsoluteUriKeepsOnlyThePath) {
  EXPECT_EQ(Norm("http://example.com/a/../b?x=%41"), "/b?x=A");
  EXPECT_EQ(Norm("http://example.com/"), "/");
  EXPECT_EQ(Norm("HTTP://Example.com/p?q"), "/p?q");
  // Malformed URIs are not normalized.
  EXPECT_EQ(Norm("foo%41"), "foo%41");
  EXPECT_EQ(Norm("http:/x/y"), "http:/x/y");
}

TEST(HttpUri, ConnectAuthority) {
  EXPECT_EQ(HttpNormalizeUri("example.com:443", true, DefaultUri()), "example.com:443");
  EXPECT_EQ(HttpNormalizeUri("ex%41mple.com:443", true, DefaultUri()), "exAmple.com:443");
}

TEST(HttpClassic, OnlyDecodes) {
  const HttpUriConfig u = DefaultUri();
  EXPECT_EQ(HttpClassicNormalize("a%20b", u), "a b");
  EXPECT_EQ(HttpClassicNormalize("a+b\\c/../d", u), "a+b\\c/../d");
  EXPECT_EQ(HttpClassicNormalize("x=%2541", u), "x=A");
  EXPECT_EQ(HttpClassicNormalize("", u), "");
}

// --- Requests --------------------------------------------------------------------------------

TEST(HttpRequest, HeaderSectionCarriesRequestLineAndHeaders) {
  const Sections s = Request(
      "GET /a/../b%41?q=1 HTTP/1.1\r\nHost: x.org\r\nCookie: id=%41; x=1\r\n"
      "User-Agent: t%65st\r\nCookie: second\r\n\r\n");
  ASSERT_EQ(s.size(), 1u);
  const HttpSection& h = s[0];
  EXPECT_EQ(h.pdu, HttpPdu::kHeader);
  EXPECT_TRUE(h.from_client);
  EXPECT_EQ(h.message, 1u);
  EXPECT_EQ(h.request.method, "GET");
  EXPECT_EQ(h.request.raw_uri, "/a/../b%41?q=1");
  EXPECT_EQ(h.request.uri, "/bA?q=1");
  EXPECT_EQ(h.request.version, "HTTP/1.1");
  EXPECT_EQ(h.request.raw_request, "GET /a/../b%41?q=1 HTTP/1.1");
  EXPECT_EQ(h.headers.raw,
            "Host: x.org\r\nCookie: id=%41; x=1\r\nUser-Agent: t%65st\r\nCookie: second");
  // http_header: cookie lines left out (with their separators), percent-decoded.
  EXPECT_EQ(h.headers.norm, "Host: x.org\r\nUser-Agent: test\r\n");
  EXPECT_EQ(h.headers.raw_cookie, "id=%41; x=1,second");
  EXPECT_EQ(h.headers.cookie, "id=A; x=1,second");
  EXPECT_TRUE(h.pkt_data.empty());
  EXPECT_TRUE(h.message_end);
}

TEST(HttpRequest, ContentLengthBodyIsOneSectionWithDecodedClientBody) {
  const Sections s =
      Request("POST /f HTTP/1.1\r\nContent-Length: 15\r\n\r\nname=%41+b&c=1GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].body_type, HttpBodyType::kContentLength);
  EXPECT_FALSE(s[0].message_end);
  const HttpSection& b = s[1];
  EXPECT_EQ(b.pdu, HttpPdu::kBody);
  EXPECT_EQ(b.pkt_data, "name=%41+b&c=1G");
  EXPECT_EQ(b.raw_body, "name=%41+b&c=1G");
  EXPECT_EQ(b.client_body, "name=A+b&c=1G");
  EXPECT_EQ(b.file_data, "name=%41+b&c=1G");
  EXPECT_EQ(b.request.uri, "/f");  // request buffers ride on body sections
  EXPECT_TRUE(b.message_end);
  // The remaining bytes are the next (pipelined) request.
  EXPECT_EQ(s[2].request.raw_request, "ET / HTTP/1.0");
  EXPECT_EQ(s[2].request.method, "ET");
  EXPECT_EQ(s[2].message, 2u);
}

TEST(HttpRequest, RequestsWithoutLengthHaveNoBody) {
  const Sections s = Request("POST /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].request.uri, "/x");
  EXPECT_EQ(s[1].request.uri, "/y");
  EXPECT_EQ(Count(s, HttpPdu::kBody), 0u);
}

TEST(HttpRequest, ChunkedBodyIsDechunkedAndTrailersFollow) {
  const Sections s = Request(
      "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t%41il\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].body_type, HttpBodyType::kChunked);
  EXPECT_EQ(s[1].pdu, HttpPdu::kBody);
  EXPECT_EQ(s[1].pkt_data, "hello world");
  EXPECT_EQ(s[1].client_body, "hello world");
  EXPECT_TRUE(s[1].message_end);
  EXPECT_EQ(s[2].pdu, HttpPdu::kTrailer);
  EXPECT_EQ(s[2].trailers.raw, "X-Trailer: t%41il");
  EXPECT_EQ(s[2].trailers.norm, "X-Trailer: tAil");
  EXPECT_EQ(s[3].request.uri, "/next");
}

TEST(HttpRequest, EmptyTrailerIsNotASection) {
  const Sections s =
      Request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].pkt_data, "abc");
}

TEST(HttpRequest, TransferEncodingOtherThanChunkedIgnoresContentLength) {
  // A request: no body at all; the next bytes are a new request line.
  const Sections s = Request(
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nGET /b "
      "HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].request.uri, "/b");
  // HTTP/1.0 ignores Transfer-Encoding and uses Content-Length.
  const Sections t =
      Request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].pkt_data, "abc");
}

TEST(HttpRequest, LeadingBlankLinesAreSkipped) {
  const Sections s = Request("\r\n\r\n  GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].request.method, "GET");
  // More than 20 octets of white space: not HTTP.
  EXPECT_TRUE(Request(std::string(21, '\n') + "GET / HTTP/1.1\r\n\r\n").empty());
}

TEST(HttpRequest, BareLfAndBareCrTerminators) {
  const Sections s = Request("GET /lf HTTP/1.1\nHost: a\n\nGET /cr HTTP/1.1\rHost: b\r\n\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].request.uri, "/lf");
  EXPECT_EQ(s[0].headers.raw, "Host: a");
  EXPECT_EQ(s[1].request.uri, "/cr");
  EXPECT_EQ(s[1].headers.raw, "Host: b");
}

TEST(HttpRequest, FoldedHeaderIsOneLine) {
  const Sections s = Request("GET / HTTP/1.1\r\nCookie: a=1;\r\n b=2\r\nX: y\r\n\r\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].headers.raw_cookie, "a=1; b=2");
  EXPECT_EQ(s[0].headers.norm, "X: y");
}

TEST(HttpRequest, WhiteSpaceInsideTheRequestLine) {
  const Sections s = Request("GET\t /a b  HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].request.method, "GET");
  EXPECT_EQ(s[0].request.raw_uri, "/a b");
  // No URI at all.
  const Sections t = Request("GET  HTTP/1.1\r\n\r\n");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].request.raw_uri, "");
  // Lower-case version is tolerated.
  EXPECT_EQ(Request("GET /l http/1.1\r\n\r\n").size(), 1u);
}

TEST(HttpRequest, ZeroNineRequest) {
  const Sections s = Request("GET /old/page.html\r\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].pdu, HttpPdu::kHeader);
  EXPECT_TRUE(s[0].request.zero_nine);
  EXPECT_EQ(s[0].request.uri, "/old/page.html");
  EXPECT_FALSE(s[0].headers.present);
}

TEST(HttpRequest, MalformedInputStopsInspection) {
  EXPECT_TRUE(Request("\x16\x03\x01\x02\x00 hello\r\n\r\n").empty());  // TLS
  EXPECT_TRUE(Request("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").empty());    // HTTP/2 preface
  EXPECT_TRUE(Request("POST /x FTP/1.0\r\n\r\n").empty());             // bad request line
  EXPECT_TRUE(Request("GET\r\n\r\n").empty());                         // no white space
  EXPECT_TRUE(Request(std::string(81, 'A') + " / HTTP/1.1\r\n\r\n").empty());
  HttpState st(true);
  FeedAll(st, "garbage\x01 line\r\n");
  EXPECT_EQ(st.expect, HttpExpect::kAborted);
  EXPECT_TRUE(FeedAll(st, "GET / HTTP/1.1\r\n\r\n").empty());  // stays aborted
}

TEST(HttpRequest, OversizedHeaderBlockAborts) {
  HttpState st(true);
  std::string req = "GET / HTTP/1.1\r\nX: " + std::string(70000, 'a');
  EXPECT_TRUE(FeedAll(st, req).empty());
  EXPECT_EQ(st.expect, HttpExpect::kAborted);
}

TEST(HttpRequest, ConnectionCloseFlushesWhatArrived) {
  // Headers cut short: inspected as they are.
  Sections s = Request("GET /p HTTP/1.1\r\nHost: a\r\nUser-Ag", true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].headers.raw, "Host: a\r\nUser-Ag");
  // Start line only: an empty header section so the request line is inspected.
  s = Request("GET /q HTTP/1.1\r\n", true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].request.uri, "/q");
  EXPECT_TRUE(s[0].headers.present);
  EXPECT_EQ(s[0].headers.raw, "");
  // A partial start line is not inspected.
  EXPECT_TRUE(Request("GET /r HT", true).empty());
  // A truncated body is flushed.
  s = Request("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial", true);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].pkt_data, "partial");
}

// Every way of splitting a message into two or three segments gives the same sections.
TEST(HttpRequest, SplitAtEveryOctetGivesTheSameSections) {
  const std::string msg =
      "\r\nPOST /a%2Fb/../c?d=%41 HTTP/1.1\r\nHost: h\r\nCookie: c=%31\r\nTransfer-Encoding: "
      "chunked\r\n\r\n4\r\nwxyz\r\n3;x\r\n123\r\n0\r\nT: 1\r\n\r\nGET /z HTTP/1.1\r\n"
      "Content-Length: 4\r\n\r\nbodyGET /last HTTP/1.1\r\n\r\n";
  const Sections whole = Request(msg, true);
  ASSERT_EQ(whole.size(), 6u);
  auto same = [](const Sections& a, const Sections& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].pdu != b[i].pdu || a[i].pkt_data != b[i].pkt_data ||
          a[i].request.uri != b[i].request.uri || a[i].headers.raw != b[i].headers.raw ||
          a[i].headers.cookie != b[i].headers.cookie || a[i].trailers.raw != b[i].trailers.raw) {
        return false;
      }
    }
    return true;
  };
  for (size_t cut = 0; cut <= msg.size(); ++cut) {
    HttpState st(true);
    Sections out;
    st.Feed(std::string_view(msg).substr(0, cut), &out);
    st.Feed(std::string_view(msg).substr(cut), &out);
    st.Finish(&out);
    ASSERT_TRUE(same(whole, out)) << "split at " << cut;
  }
  HttpState st(true);
  Sections out;
  for (char c : msg) st.Feed(std::string_view(&c, 1), &out);
  st.Finish(&out);
  EXPECT_TRUE(same(whole, out));
}

// --- Responses -------------------------------------------------------------------------------

TEST(HttpResponse, StatusLineAndBody) {
  const Sections s = Response(
      "HTTP/1.1 404 Not Found\r\nSet-Cookie: s=%41\r\nServer: x\r\nContent-Length: 5\r\n\r\nabcde");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].status.stat_code, "404");
  EXPECT_EQ(s[0].status.stat_msg, "Not Found");
  EXPECT_EQ(s[0].status.code, 404);
  EXPECT_EQ(s[0].status.raw_status, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(s[0].headers.cookie, "s=A");
  EXPECT_EQ(s[0].headers.norm, "Server: x\r\nContent-Length: 5");
  EXPECT_FALSE(s[0].has_request);
  EXPECT_EQ(s[1].file_data, "abcde");
  EXPECT_EQ(s[1].status.stat_code, "404");
  EXPECT_TRUE(s[1].client_body.empty());
}

TEST(HttpResponse, StatusLineVariants) {
  Sections s = Response("HTTP/1.1 200\r\n\r\n", true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].status.stat_code, "200");
  EXPECT_EQ(s[0].status.stat_msg, "");
  s = Response("http/1.0   302 Found it\r\nLocation: /x\r\n\r\n", true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].status.stat_code, "302");
  EXPECT_EQ(s[0].status.stat_msg, "Found it");
  EXPECT_TRUE(Response("HTTP/1.1 2000 OK\r\n\r\n").empty());  // bad status line
  EXPECT_TRUE(Response("SSH-2.0-OpenSSH\r\n").empty());       // not HTTP
}

TEST(HttpResponse, BodyWithoutLengthRunsToClose) {
  HttpState st(false);
  Sections s = FeedAll(st, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ");
  ASSERT_EQ(s.size(), 1u);
  s = FeedAll(st, "world", true);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].file_data, "hello world");
  EXPECT_TRUE(s[0].message_end);
  EXPECT_EQ(s[0].body_type, HttpBodyType::kToClose);
}

TEST(HttpResponse, LargeBodiesAreCutAtMaxPdu) {
  const std::string body = Words(40000);
  const Sections s = Response("HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n" + body);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1].file_data.size(), 16384u);
  EXPECT_EQ(s[2].file_data.size(), 16384u);
  EXPECT_EQ(s[3].file_data.size(), 40000u - 2 * 16384u);
  EXPECT_FALSE(s[2].message_end);
  EXPECT_TRUE(s[3].message_end);
  EXPECT_EQ(Body(s), body);
  // Run-to-close bodies too, the tail at close.
  const Sections t = Response("HTTP/1.0 200 OK\r\n\r\n" + body, true);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1].file_data.size(), 16384u);
  EXPECT_EQ(Body(t), body);
}

TEST(HttpResponse, ChunkedBodySectionsCountDataOctetsOnly) {
  std::string chunked;
  const std::string body = Words(20000);
  for (size_t i = 0; i < body.size(); i += 1000) {
    const std::string piece = body.substr(i, 1000);
    char len[16];
    std::snprintf(len, sizeof(len), "%zx\r\n", piece.size());
    chunked += len + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  const Sections s = Response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].file_data.size(), 16384u);
  EXPECT_EQ(s[2].file_data.size(), 20000u - 16384u);
  EXPECT_EQ(Body(s), body);
}

TEST(HttpResponse, BrokenChunkingTurnsTheRestIntoData) {
  const Sections s = Response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabcXtail", true);
  ASSERT_EQ(s.size(), 2u);
  // Snort's reassembly keeps the good chunk, then copies every octet after it as is.
  EXPECT_EQ(s[1].file_data, "hello3\r\nabcXtail");
  const Sections t =
      Response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nraw data", true);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].file_data, "zz\r\nraw data");
}

TEST(HttpResponse, StatusCodesWithoutBody) {
  const Sections s = Response(
      "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].status.code, 204);
  EXPECT_EQ(s[1].status.code, 304);
  EXPECT_EQ(s[2].status.code, 200);
  EXPECT_EQ(s[3].file_data, "ok");
}

TEST(HttpResponse, ContentLengthVariants) {
  // Repeated values: the first counts; white space is removed.
  Sections s = Response("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabcdef");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].file_data, "abc");
  // Invalid: ignored, so a response body runs to close.
  s = Response("HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabcdef", true);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].file_data, "abcdef");
  // Zero: no body.
  s = Response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 201 Created\r\n\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].status.code, 201);
}

TEST(HttpResponse, GzipBodyIsInflated) {
  const std::string text = "<html><body>" + Words(3000) + "</body></html>";
  const std::string gz = Gzip(text);
  const std::string msg =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
      "\r\n\r\n" + gz;
  const Sections s = Response(msg);
  EXPECT_EQ(Body(s), text);
  // The raw body buffers hold the decoded data too (Snort decodes before reassembly).
  EXPECT_EQ(s.back().pkt_data, s.back().file_data);
  // Split at every octet: same decoded data.
  for (size_t cut = 0; cut < msg.size(); cut += 7) {
    HttpState st(false);
    Sections out;
    st.Feed(std::string_view(msg).substr(0, cut), &out);
    st.Feed(std::string_view(msg).substr(cut), &out);
    ASSERT_EQ(Body(out), text) << "split at " << cut;
  }
}

TEST(HttpResponse, GzipSectionsFollowTheCompressedTarget) {
  const std::string text = Words(200000);
  const std::string gz = Gzip(text);
  ASSERT_GT(gz.size(), 3 * 2048u);
  const std::string msg =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
      "\r\n\r\n" + gz;
  // Delivered in 1460-octet segments as TCP would.
  HttpState st(false);
  Sections out;
  for (size_t i = 0; i < msg.size(); i += 1460)
    st.Feed(std::string_view(msg).substr(i, 1460), &out);
  EXPECT_EQ(Body(out), text);
  // One section per 2048 compressed octets (unless 63780 decoded octets come first).
  const size_t expected = (gz.size() + 2047) / 2048;
  EXPECT_GE(Count(out, HttpPdu::kBody), expected);
  for (const HttpSection& x : out) EXPECT_LE(x.pkt_data.size(), 63780u);
}

TEST(HttpResponse, InflaterResumesFromBlockCheckpoints) {
  // More than 1 MiB of output: without deflate block checkpoints the per-packet redo limit
  // would be exceeded. The redone input stays within about one deflate block.
  const std::string text = Words(1500000);
  const std::string gz = Gzip(text);
  const std::string msg =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
      "\r\n\r\n" + gz;
  HttpState st(false);
  Sections out;
  size_t max_pending = 0;
  for (size_t i = 0; i < msg.size(); i += 1460) {
    st.Feed(std::string_view(msg).substr(i, 1460), &out);
    max_pending = std::max(max_pending, st.body.inflate.pending.size());
  }
  EXPECT_EQ(Body(out), text);
  EXPECT_LT(max_pending, gz.size() / 4);
}

TEST(HttpResponse, HighlyCompressibleBodyStopsSectionsAtMaxOctets) {
  const std::string text(300000, 'A');
  const std::string gz = Gzip(text);
  const std::string msg =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
      "\r\n\r\n" + gz;
  const Sections s = Response(msg);
  EXPECT_EQ(Body(s), text);
  EXPECT_EQ(s[1].pkt_data.size(), 63780u);
}

TEST(HttpResponse, DeflateWithAndWithoutZlibHeader) {
  const std::string text = Words(5000);
  for (int bits : {15, -15}) {
    const std::string z = Gzip(text, bits);
    const Sections s = Response("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
                                std::to_string(z.size()) + "\r\n\r\n" + z);
    EXPECT_EQ(Body(s), text) << "window bits " << bits;
  }
}

TEST(HttpResponse, ChunkedGzipBody) {
  const std::string text = Words(9000);
  const std::string gz = Gzip(text);
  std::string chunked;
  for (size_t i = 0; i < gz.size(); i += 300) {
    const std::string piece = gz.substr(i, 300);
    char len[16];
    std::snprintf(len, sizeof(len), "%zx\r\n", piece.size());
    chunked += len + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  const Sections s =
      Response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: x-gzip\r\n\r\n" +
               chunked);
  EXPECT_EQ(Body(s), text);
}

TEST(HttpResponse, BadGzipDataIsPassedThrough) {
  const Sections s =
      Response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].file_data, "not gzip!");
  // Stacked or unknown codings are not decoded.
  const std::string gz = Gzip("hello");
  const Sections t = Response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, br\r\nContent-Length: " +
                              std::to_string(gz.size()) + "\r\n\r\n" + gz);
  EXPECT_EQ(Body(t), gz);
  HttpConfig no_unzip;
  no_unzip.unzip = false;
  const Sections u = Response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                  std::to_string(gz.size()) + "\r\n\r\n" + gz,
                              false, no_unzip);
  EXPECT_EQ(Body(u), gz);
}

TEST(HttpResponse, DataAfterTheGzipStreamIsCopied) {
  const std::string gz = Gzip("inner");
  const std::string body = gz + "TAIL";
  const Sections s = Response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(Body(s), "innerTAIL");
}

TEST(HttpResponse, Utf16BodiesAreNarrowed) {
  const std::string utf16le("<\0h\0t\0m\0l\0>\0", 12);
  Sections s = Response(
      "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"UTF-16LE\"\r\n"
      "Content-Length: 12\r\n\r\n" +
      utf16le);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].file_data, "<html>");
  EXPECT_EQ(s[1].pkt_data, utf16le);  // pkt_data is not narrowed
  // No charset, text type: the BOM decides.
  const std::string bom_be("\xFE\xFF\0a\0b\0c", 8);
  s = Response("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\n" + bom_be);
  EXPECT_EQ(s[1].file_data, "abc");
  // Other charsets are left alone.
  s = Response(
      "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
      "Content-Length: 12\r\n\r\n" +
      utf16le);
  EXPECT_EQ(s[1].file_data, utf16le);
}

TEST(HttpResponse, DepthLimitsTheInspectedBody) {
  HttpConfig cfg;
  cfg.response_depth = 10;
  const Sections s = Response(
      "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789abcdefghijABCDEFGHIJ"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz",
      false, cfg);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1].file_data, "0123456789");
  EXPECT_EQ(s[1].pkt_data, "0123456789");
  EXPECT_EQ(s[2].status.code, 200);  // the skipped rest did not confuse the next message
  EXPECT_EQ(s[3].file_data, "xyz");
}

// --- Both directions -------------------------------------------------------------------------

TEST(HttpSessionTest, ResponsesArePairedWithPipelinedRequests) {
  HttpSession sess;
  Sections out;
  sess.FeedClient("GET /one HTTP/1.1\r\n\r\nHEAD /two HTTP/1.1\r\n\r\nGET /three HTTP/1.1\r\n\r\n",
                  &out);
  ASSERT_EQ(out.size(), 3u);
  out.clear();
  sess.FeedServer(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  // HEAD: no body despite the length
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree",
      &out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].request.uri, "/one");
  EXPECT_EQ(out[1].file_data, "one");
  EXPECT_EQ(out[1].request.uri, "/one");
  EXPECT_EQ(out[2].request.method, "HEAD");
  EXPECT_TRUE(out[2].message_end);
  EXPECT_EQ(out[3].request.uri, "/three");
  EXPECT_EQ(out[4].file_data, "three");
}

TEST(HttpSessionTest, ContinueResponseKeepsTheRequest) {
  HttpSession sess;
  Sections out;
  sess.FeedClient("POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", &out);
  out.clear();
  sess.FeedServer("HTTP/1.1 100 Continue\r\n\r\n", &out);
  sess.FeedClient("ok", &out);
  sess.FeedServer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].request.uri, "/up");
  EXPECT_EQ(out[1].client_body, "ok");
  EXPECT_EQ(out[2].status.code, 201);
  EXPECT_EQ(out[2].request.uri, "/up");
}

TEST(HttpSessionTest, ConnectTunnelEndsInspection) {
  HttpSession sess;
  Sections out;
  sess.FeedClient("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request.uri, "example.com:443");
  out.clear();
  sess.FeedServer("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(sess.server.expect, HttpExpect::kAborted);
  EXPECT_EQ(sess.client.expect, HttpExpect::kAborted);
  sess.FeedClient("\x16\x03\x01\x00\x05hello", &out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(HttpSessionTest, ZeroNineResponseIsABareBody) {
  HttpSession sess;
  Sections out;
  sess.FeedClient("GET /old\r\n", &out);
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  sess.FeedServer("<html>old school</html>", &out);
  sess.FinishServer(&out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].pdu, HttpPdu::kBody);
  EXPECT_EQ(out[0].file_data, "<html>old school</html>");
  EXPECT_EQ(out[0].request.uri, "/old");
  EXPECT_EQ(out[0].status.stat_code, "");
}

TEST(HttpSessionTest, HostileBytesNeverCrash) {
  uint32_t x = 99;
  auto next = [&] { return x = x * 1103515245u + 12345u; };
  static const char* kPieces[] = {"GET ",
                                  "HTTP/1.1 200 OK\r\n",
                                  "\r\n",
                                  "Content-Length: 7\r\n",
                                  "Transfer-Encoding: chunked\r\n",
                                  "0\r\n",
                                  "ffffffff\r\n",
                                  "Content-Encoding: gzip\r\n",
                                  "\x1f\x8b\x08",
                                  "%",
                                  "%c0",
                                  "/../",
                                  "\0",
                                  ";",
                                  "\t",
                                  "x"};
  for (int round = 0; round < 200; ++round) {
    HttpSession sess;
    Sections out;
    for (int i = 0; i < 60; ++i) {
      std::string piece = kPieces[next() % 16];
      if (next() % 5 == 0) piece += static_cast<char>(next());
      if (next() & 1) {
        sess.FeedClient(piece, &out);
      } else {
        sess.FeedServer(piece, &out);
      }
    }
    sess.FinishClient(&out);
    sess.FinishServer(&out);
  }
  SUCCEED();
}

// --- Real captures ---------------------------------------------------------------------------

// One TCP packet of a capture.
struct Packet {
  std::string src;  // address bytes
  std::string dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  bool syn_options = false;
  std::string payload;
};

uint16_t Be16(const std::string& b, size_t o) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[o]) << 8 | static_cast<uint8_t>(b[o + 1]));
}
uint32_t Be32(const std::string& b, size_t o) {
  return uint32_t{Be16(b, o)} << 16 | Be16(b, o + 2);
}
// Decodes link layer -> IPv4/IPv6 -> TCP. Returns false for anything else.
bool DecodeFrame(const std::string& f, uint32_t linktype, Packet* p) {
  size_t off = 0;
  uint16_t ethertype = 0;
  if (linktype == 1) {  // Ethernet
    if (f.size() < 14) return false;
    ethertype = Be16(f, 12);
    off = 14;
    while ((ethertype == 0x8100 || ethertype == 0x88a8) && f.size() >= off + 4) {
      ethertype = Be16(f, off + 2);
      off += 4;
    }
  } else if (linktype == 113) {  // Linux cooked
    if (f.size() < 16) return false;
    ethertype = Be16(f, 14);
    off = 16;
  } else if (linktype == 12 || linktype == 14 || linktype == 101 || linktype == 228 ||
             linktype == 229) {  // raw IP (libpcap reports LINKTYPE_RAW as DLT_RAW)
    if (f.empty()) return false;
    ethertype = (static_cast<uint8_t>(f[0]) >> 4) == 6 ? 0x86dd : 0x0800;
  } else {
    return false;
  }
  size_t tcp = 0;
  size_t end = 0;
  if (ethertype == 0x0800) {
    if (f.size() < off + 20) return false;
    const size_t ihl = (static_cast<uint8_t>(f[off]) & 0x0f) * 4u;
    if (static_cast<uint8_t>(f[off + 9]) != 6 || (Be16(f, off + 6) & 0x3fff) != 0) return false;
    p->src = f.substr(off + 12, 4);
    p->dst = f.substr(off + 16, 4);
    tcp = off + ihl;
    end = std::min<size_t>(f.size(), off + Be16(f, off + 2));
  } else if (ethertype == 0x86dd) {
    if (f.size() < off + 40 || static_cast<uint8_t>(f[off + 6]) != 6) return false;
    p->src = f.substr(off + 8, 16);
    p->dst = f.substr(off + 24, 16);
    tcp = off + 40;
    end = std::min<size_t>(f.size(), tcp + Be16(f, off + 4));
  } else {
    return false;
  }
  if (end < tcp + 20) return false;
  const size_t doff = (static_cast<uint8_t>(f[tcp + 12]) >> 4) * 4u;
  if (doff < 20 || tcp + doff > end) return false;
  p->sport = Be16(f, tcp);
  p->dport = Be16(f, tcp + 2);
  p->seq = Be32(f, tcp + 4);
  p->ack = Be32(f, tcp + 8);
  p->flags = static_cast<uint8_t>(f[tcp + 13]);
  p->syn_options = doff > 20;
  p->payload = f.substr(tcp + doff, end - tcp - doff);
  return true;
}

// Reads the TCP packets of a pcap or pcapng file.
std::vector<Packet> ReadCapture(const std::string& path) {
  int linktype = -1;
  std::vector<Packet> out;
  for (const s6test::CapturedFrame& f : s6test::ReadCapture(path, &linktype)) {
    Packet p;
    if (DecodeFrame(std::string(f.bytes.begin(), f.bytes.end()), uint32_t(linktype), &p)) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

// Runs every TCP connection of a capture through stream.h and HttpSession.
Sections InspectCapture(const std::string& name) {
  const std::vector<Packet> packets = ReadCapture(std::string(S6_TEST_PCAPS) + "/snort/" + name);
  EXPECT_FALSE(packets.empty()) << name;
  struct Flow {
    TcpStreamState tcp;
    HttpSession http;
  };
  std::map<std::string, Flow> flows;
  Sections out;
  auto deliver = [&](Flow& f, const StreamResult& r) {
    for (int d = 0; d < 2; ++d) {
      HttpState& dir = d == 0 ? f.http.client : f.http.server;
      for (const StreamChunk& c : r.delivered[d].chunks) {
        if (c.after_gap) dir.Abort();  // Snort leaves the HTTP splitter after a hole
        if (d == 0) {
          f.http.FeedClient(c.data, &out);
        } else {
          f.http.FeedServer(c.data, &out);
        }
      }
      if (r.delivered[d].finished) {
        if (d == 0) {
          f.http.FinishClient(&out);
        } else {
          f.http.FinishServer(&out);
        }
      }
    }
  };
  for (const Packet& p : packets) {
    const std::string a = p.src + std::string(reinterpret_cast<const char*>(&p.sport), 2);
    const std::string b = p.dst + std::string(reinterpret_cast<const char*>(&p.dport), 2);
    const bool a_low = a < b;
    Flow& f = flows[a_low ? a + b : b + a];
    SegmentInfo s;
    s.sender = a_low ? 0 : 1;
    s.src_port = p.sport;
    s.dst_port = p.dport;
    s.seq = p.seq;
    s.ack = p.ack;
    s.flags = p.flags;
    s.syn_options = p.syn_options;
    const StreamResult r = OnSegment(f.tcp, s, p.payload);
    if (r.new_session) f.http = HttpSession{};
    deliver(f, r);
  }
  for (auto& [key, f] : flows) deliver(f, CloseStream(f.tcp));
  return out;
}

const HttpSection* Find(const Sections& s, bool from_client, HttpPdu pdu, size_t nth = 0) {
  for (const HttpSection& x : s) {
    if (x.from_client == from_client && x.pdu == pdu && nth-- == 0) return &x;
  }
  return nullptr;
}

TEST(HttpCapture, SimpleGetAndRedirect) {
  const Sections s = InspectCapture("http.pcapng");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->request.method, "GET");
  EXPECT_EQ(req->request.uri, "/");
  EXPECT_EQ(req->headers.raw, "Host: google.com\r\nUser-Agent: curl/7.68.0\r\nAccept: */*");
  const HttpSection* resp = Find(s, false, HttpPdu::kHeader);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->status.stat_code, "301");
  EXPECT_EQ(resp->status.stat_msg, "Moved Permanently");
  EXPECT_NE(resp->headers.norm.find("Location: http://www.google.com/"), std::string::npos);
  EXPECT_EQ(resp->request.uri, "/");
  const HttpSection* body = Find(s, false, HttpPdu::kBody);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->file_data.size(), 219u);
  EXPECT_EQ(body->file_data.substr(0, 6), "<HTML>");
}

TEST(HttpCapture, HeadersSplitAcrossSegmentsAndHttp10Response) {
  const Sections s = InspectCapture("http-lines-split.pcap");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->headers.raw, "Host: toni.lan:31337\r\nUser-Agent: uclient-fetch");
  const HttpSection* resp = Find(s, false, HttpPdu::kHeader);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->status.raw_status, "HTTP/1.0 200 OK");
  const HttpSection* body = Find(s, false, HttpPdu::kBody);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->file_data.size(), 1476u);
  EXPECT_EQ(body->file_data.substr(body->file_data.size() - 8), "</html>\n");
}

TEST(HttpCapture, CookieAndChunkedResponse) {
  const Sections s = InspectCapture("http_auth.pcap");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->request.uri, "/password-ok.php");
  EXPECT_NE(req->headers.cookie.find("utmctr=(not provided)"), std::string::npos);
  EXPECT_NE(req->headers.raw_cookie.find("(not%20provided)"), std::string::npos);
  EXPECT_EQ(req->headers.norm.find("Cookie:"), std::string::npos);
  EXPECT_NE(req->headers.raw.find("Cookie:"), std::string::npos);
  EXPECT_NE(req->headers.norm.find("Authorization: Basic dGVzdDpmYWlsMg=="), std::string::npos);
  const HttpSection* resp = Find(s, false, HttpPdu::kHeader);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->status.stat_code, "401");
  EXPECT_EQ(resp->body_type, HttpBodyType::kChunked);
  std::string body;
  for (const HttpSection& x : s) {
    if (!x.from_client && x.pdu == HttpPdu::kBody && x.message == 1) body += x.file_data;
  }
  EXPECT_EQ(body.substr(0, 14), "<!DOCTYPE html");
  EXPECT_EQ(body.find("\r\n5f1"), std::string::npos);  // chunk framing removed
  EXPECT_NE(body.find("</html>"), std::string::npos);
}

TEST(HttpCapture, AbsoluteUriThroughAProxyAndGzip) {
  const Sections s = InspectCapture("http-proxy.pcapng");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->request.raw_uri, "http://http.com/");
  EXPECT_EQ(req->request.uri, "/");
  const HttpSection* body = Find(s, false, HttpPdu::kBody);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->file_data.size(), 392u);
  EXPECT_EQ(body->file_data.substr(0, 26), "<html><head><title>http.co");
}

TEST(HttpCapture, EncodedScriptInUriAndGzipAcrossSegments) {
  const Sections s = InspectCapture("xss.pcap");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->request.uri,
            "/DVWA-master/vulnerabilities/xss_d/?default=English<script>alert(1)</script>");
  std::string body;
  for (const HttpSection& x : s) {
    if (!x.from_client && x.pdu == HttpPdu::kBody && x.message == 1) body += x.file_data;
  }
  EXPECT_EQ(body.size(), 4594u);
  EXPECT_EQ(body.substr(0, 15), "<!DOCTYPE html>");
  EXPECT_EQ(body.substr(body.size() - 7), "</html>");
}

TEST(HttpCapture, UserAgentSplitInTwoPackets) {
  const Sections s = InspectCapture("http_ua_splitted_in_two_pkts.pcapng");
  const HttpSection* req = Find(s, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->request.uri.substr(0, 28), "/tracking/adImpression?d=IAA");
  EXPECT_NE(req->headers.raw.find("User-Agent: Mozilla/5.0 (Linux; Android 6.0.1; SM-T805"),
            std::string::npos);
  // Every request on the connection is parsed.
  EXPECT_GE(Count(s, HttpPdu::kHeader), 20u);
}

TEST(HttpCapture, EveryHttpCaptureParsesWithoutTrouble) {
  for (const char* name :
       {"bt-http.pcapng", "http-crash-content-disposition.pcap", "http-manipulated.pcap",
        "http2.pcapng", "http_asymmetric.pcapng", "http_connect.pcap",
        "http_guessed_host_and_guessed.pcapng", "http_invalid_server.pcap", "http_ipv6.pcap",
        "http_on_sip_port.pcap", "http_starting_with_reply.pcapng", "rtsp_setup_http.pcapng",
        "windowsupdate_over_http.pcap"}) {
    const Sections s = InspectCapture(name);
    for (const HttpSection& x : s) {
      if (x.pdu == HttpPdu::kHeader && x.from_client) {
        EXPECT_FALSE(x.request.method.empty()) << name;
      }
    }
  }
  // http_ipv6.pcap is TLS on port 443: nothing may look like HTTP there.
  EXPECT_EQ(InspectCapture("http_ipv6.pcap").size(), 0u);
  const Sections manip = InspectCapture("http-manipulated.pcap");
  const HttpSection* req = Find(manip, true, HttpPdu::kHeader);
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->headers.raw.substr(0, 20), "hOsT:wwww.lan:8080\r\n");
}

}  // namespace
}  // namespace snort
