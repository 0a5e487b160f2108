#ifndef MOCKMX_CLIBEVENT_SHIM_H
#define MOCKMX_CLIBEVENT_SHIM_H

// libc first: event2/event-config.h defines _GNU_SOURCE, and a clean build otherwise fails on fd_set.
#include <features.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#ifdef __linux__
#include <linux/filter.h>
#endif
#include <malloc.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>

#include <openssl/ssl.h>
#include <openssl/err.h>

// syncfs(2) is declared only under _GNU_SOURCE, which the libc module is not built with.
static inline int mockmx_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

// Swift does not import function-like macros.
static inline struct event *mockmx_evtimer_new(struct event_base *base, event_callback_fn cb, void *arg) {
    return evtimer_new(base, cb, arg);
}
static inline int mockmx_evtimer_add(struct event *ev, const struct timeval *tv) { return evtimer_add(ev, tv); }
static inline int mockmx_evtimer_del(struct event *ev) { return evtimer_del(ev); }
static inline struct event *mockmx_evsignal_new(struct event_base *base, int signum, event_callback_fn cb, void *arg) {
    return evsignal_new(base, signum, cb, arg);
}

// OpenSSL macros over SSL_CTX_ctrl and variadic key generation.
static inline int mockmx_ssl_ctx_set_min_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int mockmx_ssl_ctx_set_max_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline EVP_PKEY *mockmx_ec_p256_key(void) { return EVP_EC_gen("P-256"); }
static inline int mockmx_ssl_ctx_add1_chain_cert(SSL_CTX *ctx, X509 *cert) { return SSL_CTX_add1_chain_cert(ctx, cert); }
static inline int mockmx_ssl_set_sni(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }

// evdns server requests: the question array and its flexible `name` member do not import usefully.
static inline int mockmx_dns_question_count(const struct evdns_server_request *request) {
    return request->nquestions;
}
static inline const char *mockmx_dns_question_name(const struct evdns_server_request *request, int index) {
    return request->questions[index]->name;
}
static inline int mockmx_dns_question_type(const struct evdns_server_request *request, int index) {
    return request->questions[index]->type;
}
static inline int mockmx_dns_question_class(const struct evdns_server_request *request, int index) {
    return request->questions[index]->dns_question_class;
}

#ifdef __linux__
// libevent 2.1's evdns server dereferences a null request when a datagram is shorter than the 12-byte DNS header
// (request_parse jumps to its cleanup before allocating). A socket filter drops such datagrams in the kernel.
// A UDP socket's filter sees the datagram from its 8-byte UDP header on, so the length compared includes it.
static inline int mockmx_drop_datagrams_shorter_than(int fd, unsigned int payload_bytes) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, payload_bytes + 8, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xFFFFFFFF),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog program = { sizeof(code) / sizeof(code[0]), code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program));
}
#endif

#endif
