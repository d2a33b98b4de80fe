/*
 * The subset of the libmnl API that libnftnl.a and nfdiff call, written for nfdiff's static
 * build only (scripts/build-static.sh): Debian 12 ships libnftnl.a but no libmnl.a, and no
 * libmnl source can be fetched on our machines. Declarations come from Debian's
 * <libmnl/libmnl.h> (libmnl-dev); the behaviour follows libmnl's documented API. Dynamic
 * builds of nfdiff link Debian's libmnl.so and never use this file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

/* ---- netlink messages ---- */

size_t mnl_nlmsg_size(size_t len) { return len + MNL_NLMSG_HDRLEN; }

size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

struct nlmsghdr *mnl_nlmsg_put_header(void *buf)
{
	int len = MNL_ALIGN(sizeof(struct nlmsghdr));
	struct nlmsghdr *nlh = buf;
	memset(buf, 0, len);
	nlh->nlmsg_len = len;
	return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *ptr = (char *)nlh + nlh->nlmsg_len;
	size_t len = MNL_ALIGN(size);
	nlh->nlmsg_len += len;
	memset(ptr, 0, len);
	return ptr;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN;
}

void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(offset);
}

bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(struct nlmsghdr) &&
	       nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
	       (int)nlh->nlmsg_len <= len;
}

struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len)
{
	*len -= MNL_ALIGN(nlh->nlmsg_len);
	return (struct nlmsghdr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
}

void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_ALIGN(nlh->nlmsg_len);
}

bool mnl_nlmsg_seq_ok(const struct nlmsghdr *nlh, unsigned int seq)
{
	return nlh->nlmsg_seq && seq ? nlh->nlmsg_seq == seq : true;
}

bool mnl_nlmsg_portid_ok(const struct nlmsghdr *nlh, unsigned int portid)
{
	return nlh->nlmsg_pid && portid ? nlh->nlmsg_pid == portid : true;
}

/* ---- batches ---- */

struct mnl_nlmsg_batch {
	void *buf;
	size_t limit;
	size_t buflen;
	void *cur;
	bool overflow;
};

struct mnl_nlmsg_batch *mnl_nlmsg_batch_start(void *buf, size_t limit)
{
	struct mnl_nlmsg_batch *b = malloc(sizeof(*b));
	if (b == NULL)
		return NULL;
	b->buf = buf;
	b->limit = limit;
	b->buflen = 0;
	b->cur = buf;
	b->overflow = false;
	return b;
}

void mnl_nlmsg_batch_stop(struct mnl_nlmsg_batch *b) { free(b); }

bool mnl_nlmsg_batch_next(struct mnl_nlmsg_batch *b)
{
	struct nlmsghdr *nlh = b->cur;
	if (b->buflen + nlh->nlmsg_len > b->limit) {
		b->overflow = true;
		return false;
	}
	b->cur = (char *)b->buf + b->buflen + nlh->nlmsg_len;
	b->buflen += nlh->nlmsg_len;
	return true;
}

void mnl_nlmsg_batch_reset(struct mnl_nlmsg_batch *b)
{
	if (b->overflow) {
		struct nlmsghdr *nlh = b->cur;
		memcpy(b->buf, b->cur, nlh->nlmsg_len);
		b->buflen = nlh->nlmsg_len;
		b->cur = (char *)b->buf + b->buflen;
		b->overflow = false;
	} else {
		b->buflen = 0;
		b->cur = b->buf;
	}
}

size_t mnl_nlmsg_batch_size(struct mnl_nlmsg_batch *b) { return b->buflen; }
void *mnl_nlmsg_batch_head(struct mnl_nlmsg_batch *b) { return b->buf; }
void *mnl_nlmsg_batch_current(struct mnl_nlmsg_batch *b) { return b->cur; }
bool mnl_nlmsg_batch_is_empty(struct mnl_nlmsg_batch *b) { return b->buflen == 0; }

/* ---- attributes ---- */

uint16_t mnl_attr_get_type(const struct nlattr *attr) { return attr->nla_type & NLA_TYPE_MASK; }
uint16_t mnl_attr_get_len(const struct nlattr *attr) { return attr->nla_len; }
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr) { return attr->nla_len - MNL_ATTR_HDRLEN; }
void *mnl_attr_get_payload(const struct nlattr *attr) { return (char *)attr + MNL_ATTR_HDRLEN; }

bool mnl_attr_ok(const struct nlattr *attr, int len)
{
	return len >= (int)sizeof(struct nlattr) && attr->nla_len >= sizeof(struct nlattr) &&
	       (int)attr->nla_len <= len;
}

struct nlattr *mnl_attr_next(const struct nlattr *attr)
{
	return (struct nlattr *)((char *)attr + MNL_ALIGN(attr->nla_len));
}

int mnl_attr_type_valid(const struct nlattr *attr, uint16_t max)
{
	if (mnl_attr_get_type(attr) > max) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 1;
}

static const size_t expected_len[MNL_TYPE_MAX] = {
	[MNL_TYPE_U8] = sizeof(uint8_t),
	[MNL_TYPE_U16] = sizeof(uint16_t),
	[MNL_TYPE_U32] = sizeof(uint32_t),
	[MNL_TYPE_U64] = sizeof(uint64_t),
	[MNL_TYPE_MSECS] = sizeof(uint64_t),
};

static int validate(const struct nlattr *attr, enum mnl_attr_data_type type, size_t exp_len)
{
	uint16_t len = mnl_attr_get_payload_len(attr);
	const char *data = mnl_attr_get_payload(attr);

	if (len < exp_len) {
		errno = ERANGE;
		return -1;
	}
	switch (type) {
	case MNL_TYPE_FLAG:
		if (len > 0) {
			errno = ERANGE;
			return -1;
		}
		break;
	case MNL_TYPE_NUL_STRING:
		if (len == 0) {
			errno = ERANGE;
			return -1;
		}
		if (data[len - 1] != '\0') {
			errno = EINVAL;
			return -1;
		}
		break;
	case MNL_TYPE_STRING:
		if (len == 0) {
			errno = ERANGE;
			return -1;
		}
		break;
	case MNL_TYPE_NESTED:
		if (len != 0 && len < MNL_ATTR_HDRLEN) {
			errno = ERANGE;
			return -1;
		}
		break;
	default:
		break;
	}
	if (exp_len && len > exp_len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type)
{
	if (type >= MNL_TYPE_MAX) {
		errno = EINVAL;
		return -1;
	}
	return validate(attr, type, expected_len[type]);
}

int mnl_attr_validate2(const struct nlattr *attr, enum mnl_attr_data_type type, size_t exp_len)
{
	if (type >= MNL_TYPE_MAX) {
		errno = EINVAL;
		return -1;
	}
	return validate(attr, type, exp_len);
}

int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data)
{
	const struct nlattr *attr = mnl_nlmsg_get_payload_offset(nlh, offset);
	int len = (int)((const char *)mnl_nlmsg_get_payload_tail(nlh) - (const char *)attr);
	int ret;
	for (; mnl_attr_ok(attr, len); len -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr))
		if ((ret = cb(attr, data)) <= MNL_CB_STOP)
			return ret;
	return MNL_CB_OK;
}

int mnl_attr_parse_nested(const struct nlattr *nested, mnl_attr_cb_t cb, void *data)
{
	const struct nlattr *attr = mnl_attr_get_payload(nested);
	int len = mnl_attr_get_payload_len(nested);
	int ret;
	for (; mnl_attr_ok(attr, len); len -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr))
		if ((ret = cb(attr, data)) <= MNL_CB_STOP)
			return ret;
	return MNL_CB_OK;
}

uint8_t mnl_attr_get_u8(const struct nlattr *attr) { return *(uint8_t *)mnl_attr_get_payload(attr); }
uint16_t mnl_attr_get_u16(const struct nlattr *attr) { return *(uint16_t *)mnl_attr_get_payload(attr); }
uint32_t mnl_attr_get_u32(const struct nlattr *attr) { return *(uint32_t *)mnl_attr_get_payload(attr); }
uint64_t mnl_attr_get_u64(const struct nlattr *attr)
{
	uint64_t v;
	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}
const char *mnl_attr_get_str(const struct nlattr *attr) { return mnl_attr_get_payload(attr); }

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
	uint16_t payload_len = MNL_ALIGN(sizeof(struct nlattr)) + len;
	int pad;

	attr->nla_type = type;
	attr->nla_len = payload_len;
	memcpy(mnl_attr_get_payload(attr), data, len);
	pad = MNL_ALIGN(len) - len;
	if (pad > 0)
		memset((char *)mnl_attr_get_payload(attr) + len, 0, pad);
	nlh->nlmsg_len += MNL_ALIGN(payload_len);
}

void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t v) { mnl_attr_put(nlh, type, sizeof(v), &v); }
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t v) { mnl_attr_put(nlh, type, sizeof(v), &v); }
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v) { mnl_attr_put(nlh, type, sizeof(v), &v); }
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v) { mnl_attr_put(nlh, type, sizeof(v), &v); }
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *s) { mnl_attr_put(nlh, type, strlen(s), s); }
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *s) { mnl_attr_put(nlh, type, strlen(s) + 1, s); }

struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *start = mnl_nlmsg_get_payload_tail(nlh);
	start->nla_type = NLA_F_NESTED | type;
	nlh->nlmsg_len += MNL_ALIGN(sizeof(struct nlattr));
	return start;
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	start->nla_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start;
}

/* ---- sockets ---- */

struct mnl_socket {
	int fd;
	struct sockaddr_nl addr;
};

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	struct mnl_socket *nl = calloc(1, sizeof(*nl));
	if (nl == NULL)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
	if (nl->fd == -1) {
		free(nl);
		return NULL;
	}
	return nl;
}

struct mnl_socket *mnl_socket_open(int bus) { return mnl_socket_open2(bus, 0); }
int mnl_socket_get_fd(const struct mnl_socket *nl) { return nl->fd; }
unsigned int mnl_socket_get_portid(const struct mnl_socket *nl) { return nl->addr.nl_pid; }

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	socklen_t addr_len;
	nl->addr.nl_family = AF_NETLINK;
	nl->addr.nl_groups = groups;
	nl->addr.nl_pid = pid;
	if (bind(nl->fd, (struct sockaddr *)&nl->addr, sizeof(nl->addr)) < 0)
		return -1;
	addr_len = sizeof(nl->addr);
	if (getsockname(nl->fd, (struct sockaddr *)&nl->addr, &addr_len) < 0)
		return -1;
	if (addr_len != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	static const struct sockaddr_nl snl = {.nl_family = AF_NETLINK};
	return sendto(nl->fd, buf, len, 0, (const struct sockaddr *)&snl, sizeof(snl));
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t bufsiz)
{
	struct sockaddr_nl addr;
	struct iovec iov = {.iov_base = buf, .iov_len = bufsiz};
	struct msghdr msg = {
		.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t ret = recvmsg(nl->fd, &msg, 0);
	if (ret == -1)
		return ret;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(struct sockaddr_nl)) {
		errno = EINVAL;
		return -1;
	}
	return ret;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	int ret = close(nl->fd);
	free(nl);
	return ret;
}

/* ---- callbacks ---- */

static int cb_noop(const struct nlmsghdr *nlh, void *data) { (void)nlh; (void)data; return MNL_CB_OK; }
static int cb_stop(const struct nlmsghdr *nlh, void *data) { (void)nlh; (void)data; return MNL_CB_STOP; }

static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	errno = err->error < 0 ? -err->error : err->error;
	return err->error == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
}

int mnl_cb_run2(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
		mnl_cb_t cb_data, void *data, mnl_cb_t *cb_ctl_array,
		unsigned int cb_ctl_array_len)
{
	int ret = MNL_CB_OK, len = numbytes;
	const struct nlmsghdr *nlh = buf;

	if (!mnl_nlmsg_ok(nlh, len)) {
		errno = EBADMSG;
		return -1;
	}
	while (mnl_nlmsg_ok(nlh, len)) {
		if (!mnl_nlmsg_portid_ok(nlh, portid)) {
			errno = ESRCH;
			return -1;
		}
		if (!mnl_nlmsg_seq_ok(nlh, seq)) {
			errno = EPROTO;
			return -1;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			errno = EINTR;
			return -1;
		}
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			if (cb_data) {
				ret = cb_data(nlh, data);
				if (ret <= MNL_CB_STOP)
					return ret;
			}
		} else if (nlh->nlmsg_type < cb_ctl_array_len && cb_ctl_array && cb_ctl_array[nlh->nlmsg_type]) {
			ret = cb_ctl_array[nlh->nlmsg_type](nlh, data);
			if (ret <= MNL_CB_STOP)
				return ret;
		} else {
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR: ret = cb_error(nlh, data); break;
			case NLMSG_DONE: ret = cb_stop(nlh, data); break;
			default: ret = cb_noop(nlh, data); break;
			}
			if (ret <= MNL_CB_STOP)
				return ret;
		}
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	return ret;
}

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
	       mnl_cb_t cb_data, void *data)
{
	return mnl_cb_run2(buf, numbytes, seq, portid, cb_data, data, NULL, 0);
}
