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

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <event2/bufferevent_ssl.h>

#include <openssl/ssl.h>
#include <openssl/err.h>
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

#endif
