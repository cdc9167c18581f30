/*
 * Load generator of bench/websocket.mjs: a single-threaded epoll WebSocket
 * client, so that the client costs a fraction of what the servers it
 * measures cost (a `ws` client in Node runs at about 90% of a core before
 * the server is busy). bench/websocket.mjs compiles it on first use.
 *
 *   ws-client echo PORT CONNS SIZE WARM_S MEASURE_S binary|text
 *   ws-client idle PORT CONNS HOLD_S
 *
 * Both modes open CONNS connections to 127.0.0.1:PORT (at most OPENING at a
 * time, so the server's accept queue never overflows) and do the upgrade
 * handshake with a fixed key, checking the 101 and the Sec-WebSocket-Accept
 * value. Then:
 *
 * echo: every connection sends one masked frame of SIZE bytes and waits for
 *   its whole echo (checked byte for byte) before sending the next. Prints
 *   "R <ms the handshakes took>", "M" when the measurement window starts
 *   (after WARM_S), and at its end
 *   "E <messages> <window ms> <p50 us> <p99 us> <client CPU share>"; then
 *   sends nothing more and exits once stdin is closed (or after 30 s), so
 *   the bench can read the server's counters before the connections close.
 * idle: prints "R <ms>" once every connection is open, then holds them
 *   (answering pings) until stdin is closed or HOLD_S have passed, and
 *   prints "D <connections the server closed meanwhile>".
 *
 * Errors go to stderr with exit code 1; usage errors exit with 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPENING 128          /* handshakes in flight at once */
#define OPEN_LIMIT_S 120     /* all connections must be open by then */
#define LINGER_S 30          /* echo: wait this long at most for stdin to close */
#define MAXLAT 1000000       /* latency buckets: 1 us each, up to 1 s */
#define HS_BUF 2048          /* room for the 101 response */
#define STDIN_TAG 0xffffffffu

/* The key and its accept value from RFC 6455 section 1.3. */
static const char KEY[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
static const unsigned char MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

enum { CONNECTING, HANDSHAKING, OPEN, CLOSED };

struct conn {
  int fd;
  int state;
  size_t got;         /* bytes of the handshake response or of the echo read so far */
  double t0;          /* when the message in flight was sent */
  unsigned char *buf; /* the handshake response, then the echo being read */
};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

static void die(const char *what, int i) {
  if (i >= 0) fprintf(stderr, "ws-client: connection %d: %s\n", i, what);
  else fprintf(stderr, "ws-client: %s\n", what);
  exit(1);
}

static void die_errno(const char *what, int i) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  die(msg, i);
}

/* Before the end, stdin closing means the bench gave up on this run: stop. */
static void stdin_event(void) {
  char b[256];
  if (read(0, b, sizeof b) <= 0) die("stdin closed: stopped by the bench", -1);
}

/* A frame header for a payload of n bytes; returns its length. */
static size_t frame_header(unsigned char *h, unsigned char opcode, size_t n, int masked) {
  size_t k = 0;
  h[k++] = 0x80 | opcode;
  unsigned char m = masked ? 0x80 : 0;
  if (n < 126) h[k++] = m | (unsigned char)n;
  else if (n < 65536) {
    h[k++] = m | 126;
    h[k++] = (unsigned char)(n >> 8);
    h[k++] = (unsigned char)n;
  } else {
    h[k++] = m | 127;
    for (int s = 56; s >= 0; s -= 8) h[k++] = (unsigned char)((unsigned long long)n >> s);
  }
  if (masked) for (int j = 0; j < 4; j++) h[k++] = MASK[j];
  return k;
}

/* Write all of buf (small: the request, one frame or a pong) or fail. */
static void send_all(int fd, const void *buf, size_t n, int i) {
  ssize_t w = write(fd, buf, n);
  if (w < 0) die_errno("write", i);
  if ((size_t)w != n) die("short write (the socket's send buffer is full)", i);
}

/* Checks a complete 101 response; returns the header length or dies. */
static size_t check_handshake(struct conn *c, int i) {
  char *text = (char *)c->buf;
  char *end = strstr(text, "\r\n\r\n");
  if (end == NULL) return 0;
  if (strncmp(text, "HTTP/1.1 101", 12) != 0) {
    char msg[160];
    char *eol = strstr(text, "\r\n");
    snprintf(msg, sizeof msg, "expected a 101 response, got \"%.*s\"", (int)(eol - text < 100 ? eol - text : 100), text);
    die(msg, i);
  }
  char *h = strcasestr(text, "\r\nsec-websocket-accept:");
  if (h == NULL || h > end) die("the 101 response has no Sec-WebSocket-Accept", i);
  h += strlen("\r\nsec-websocket-accept:");
  while (*h == ' ' || *h == '\t') h++;
  if (strncmp(h, ACCEPT, strlen(ACCEPT)) != 0) die("wrong Sec-WebSocket-Accept value", i);
  return (size_t)(end + 4 - text);
}

int main(int argc, char **argv) {
  int echo = argc == 8 && strcmp(argv[1], "echo") == 0;
  int idle = argc == 5 && strcmp(argv[1], "idle") == 0;
  if (!echo && !idle) {
    fprintf(stderr, "usage: ws-client echo PORT CONNS SIZE WARM_S MEASURE_S binary|text\n       ws-client idle PORT CONNS HOLD_S\n");
    return 2;
  }
  int port = atoi(argv[2]), n = atoi(argv[3]);
  size_t size = echo ? (size_t)atol(argv[4]) : 0;
  double warm = echo ? atof(argv[5]) * 1e6 : 0, dur = echo ? atof(argv[6]) * 1e6 : 0;
  double hold = idle ? atof(argv[4]) * 1e6 : 0;
  unsigned char opcode = echo && strcmp(argv[7], "text") == 0 ? 1 : 2;
  if (port <= 0 || port > 65535 || n <= 0 || (echo && (size == 0 || size > (1u << 24)))) {
    fprintf(stderr, "ws-client: bad PORT, CONNS or SIZE\n");
    return 2;
  }

  /* One fd per connection, plus a few: raise the soft limit to the hard one. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
    fprintf(stderr, "ws-client: %d connections need more file descriptors than the limit of %lu\n", n, (unsigned long)rl.rlim_cur);
    return 1;
  }

  /* The frame sent (masked, so fixed bytes) and the echo expected (unmasked). */
  unsigned char *payload = malloc(size + 1);
  for (size_t j = 0; j < size; j++) payload[j] = (unsigned char)('a' + j % 26);
  unsigned char *frame = malloc(size + 14), *expect = malloc(size + 14);
  size_t flen = frame_header(frame, opcode, size, 1);
  for (size_t j = 0; j < size; j++) frame[flen + j] = payload[j] ^ MASK[j & 3];
  flen += size;
  size_t elen = frame_header(expect, opcode, size, 0);
  memcpy(expect + elen, payload, size);
  elen += size;

  char request[512];
  int rlen = snprintf(request, sizeof request,
                      "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                      port, KEY);

  struct conn *cs = calloc(n, sizeof *cs);
  size_t bufsize = elen > HS_BUF ? elen : HS_BUF;
  int ep = epoll_create1(0);
  if (ep < 0) die_errno("epoll_create1", -1);
  struct epoll_event sev = {.events = EPOLLIN, .data.u32 = STDIN_TAG};
  int watch_stdin = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) == 0;

  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);

  /* ---------------------------------------------------------- open phase */
  static unsigned char rbuf[65536];
  struct epoll_event evs[1024];
  double t_open = now_us();
  int started = 0, ready = 0, inflight = 0;
  while (ready < n) {
    while (started < n && inflight < OPENING) {
      int i = started++;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
      if (fd < 0) die_errno("socket", i);
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) die_errno("connect", i);
      cs[i].fd = fd;
      cs[i].state = CONNECTING;
      cs[i].buf = malloc(bufsize);
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (unsigned)i};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die_errno("epoll_ctl", i);
      inflight++;
    }
    if (now_us() - t_open > OPEN_LIMIT_S * 1e6) die("the connections took too long to open", -1);
    int k = epoll_wait(ep, evs, 1024, 100);
    for (int j = 0; j < k; j++) {
      unsigned i = evs[j].data.u32;
      if (i == STDIN_TAG) stdin_event();
      struct conn *c = &cs[i];
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0) {
          errno = err;
          die_errno("connect", (int)i);
        }
        if (!(evs[j].events & EPOLLOUT)) continue;
        send_all(c->fd, request, (size_t)rlen, (int)i);
        c->state = HANDSHAKING;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      } else if (c->state == HANDSHAKING) {
        ssize_t r = read(c->fd, c->buf + c->got, HS_BUF - 1 - c->got);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r < 0) die_errno("read of the handshake", (int)i);
        if (r == 0) die("closed by the server during the handshake", (int)i);
        c->got += (size_t)r;
        c->buf[c->got] = 0;
        size_t hl = check_handshake(c, (int)i);
        if (hl == 0) {
          if (c->got >= HS_BUF - 1) die("the 101 response is too long", (int)i);
          continue;
        }
        if (hl != c->got) die("bytes after the 101 response before any message was sent", (int)i);
        c->got = 0;
        c->state = OPEN;
        if (idle) {
          free(c->buf); /* only the echo needs a buffer */
          c->buf = NULL;
        }
        inflight--;
        ready++;
      }
    }
  }
  printf("R %.1f\n", (now_us() - t_open) / 1000);
  fflush(stdout);

  /* ---------------------------------------------------------- idle mode */
  if (idle) {
    /* Answer pings (a server's heartbeat) and count connections the server closes. */
    double until = now_us() + hold;
    int closed = 0;
    while (now_us() < until) {
      int k = epoll_wait(ep, evs, 1024, 200);
      for (int j = 0; j < k; j++) {
        unsigned i = evs[j].data.u32;
        if (i == STDIN_TAG) {
          ssize_t r = read(0, rbuf, sizeof rbuf);
          if (r <= 0) until = 0; /* stdin closed: done */
          continue;
        }
        struct conn *c = &cs[i];
        if (c->state != OPEN) continue;
        ssize_t r = read(c->fd, rbuf, sizeof rbuf);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r <= 0) {
          closed++;
          c->state = CLOSED;
          epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
          continue;
        }
        /* A small unfragmented ping arriving whole is all a server sends an idle peer. */
        if (r >= 2 && (rbuf[0] & 0x0f) == 9 && (rbuf[1] & 0x7f) < 126 && (size_t)r == 2u + (rbuf[1] & 0x7f)) {
          unsigned char pong[6 + 125];
          size_t pl = frame_header(pong, 10, (size_t)(rbuf[1] & 0x7f), 1);
          for (size_t b = 0; b < (size_t)(rbuf[1] & 0x7f); b++) pong[pl + b] = rbuf[2 + b] ^ MASK[b & 3];
          send_all(c->fd, pong, pl + (rbuf[1] & 0x7f), (int)i);
        }
      }
    }
    printf("D %d\n", closed);
    fflush(stdout);
    return 0;
  }

  /* ---------------------------------------------------------- echo mode */
  unsigned *hist = calloc(MAXLAT + 1, sizeof *hist);
  for (int i = 0; i < n; i++) {
    cs[i].t0 = now_us();
    send_all(cs[i].fd, frame, flen, i);
  }
  double mstart = now_us() + warm, mend = 0, c0 = 0;
  long count = 0;
  int measuring = 0;
  for (;;) {
    double t = now_us();
    if (!measuring && t >= mstart) {
      measuring = 1;
      count = 0;
      mstart = t;
      mend = t + dur;
      c0 = cpu_us();
      printf("M\n");
      fflush(stdout);
    }
    if (measuring && t >= mend) break;
    int k = epoll_wait(ep, evs, 1024, 5);
    for (int j = 0; j < k; j++) {
      unsigned i = evs[j].data.u32;
      if (i == STDIN_TAG) stdin_event();
      struct conn *c = &cs[i];
      ssize_t r = read(c->fd, c->buf + c->got, elen - c->got);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r < 0) die_errno("read", (int)i);
      if (r == 0) die("closed by the server", (int)i);
      c->got += (size_t)r;
      if (c->got < elen) continue;
      if (memcmp(c->buf, expect, elen) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "the echo differs from the message sent (first bytes %02x %02x)", c->buf[0], c->buf[1]);
        die(msg, (int)i);
      }
      double tn = now_us();
      if (measuring) {
        double l = tn - c->t0;
        hist[l > MAXLAT ? MAXLAT : (unsigned)l]++;
        count++;
      }
      c->got = 0;
      c->t0 = tn;
      send_all(c->fd, frame, flen, (int)i);
    }
  }
  double el = now_us() - mstart, cpu = (cpu_us() - c0) / el;
  long seen = 0, p50 = -1, p99 = -1;
  for (long l = 0; l <= MAXLAT && count > 0; l++) {
    seen += hist[l];
    if (p50 < 0 && seen * 100 >= count * 50) p50 = l;
    if (p99 < 0 && seen * 100 >= count * 99) {
      p99 = l;
      break;
    }
  }
  printf("E %ld %.3f %ld %ld %.4f\n", count, el / 1000, p50, p99, cpu);
  fflush(stdout);
  /* Hold the connections (sending nothing) until the bench has read the server's counters. */
  double until = now_us() + LINGER_S * 1e6;
  while (watch_stdin && now_us() < until) {
    int k = epoll_wait(ep, evs, 1024, 200);
    int done = 0;
    for (int j = 0; j < k; j++) {
      if (evs[j].data.u32 != STDIN_TAG) {
        /* drain late echoes so they do not wake us again */
        int fd = cs[evs[j].data.u32].fd;
        ssize_t r = read(fd, rbuf, sizeof rbuf);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        continue;
      }
      if (read(0, rbuf, sizeof rbuf) <= 0) done = 1;
    }
    if (done) break;
  }
  return 0;
}
