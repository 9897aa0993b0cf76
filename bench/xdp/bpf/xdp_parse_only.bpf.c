// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark floor: the blocklist's exact header parsing (bpf/xdp_parse.h) and nothing else. The
 * verdict depends on the parsed source so the compiler cannot drop the loads.
 */
#include "xdp_parse.h"

SEC("xdp")
int xdp_parse_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct phx_src src;

	if (phx_parse(data, end, &src) == PHX_PARSED && src.addr[0] == 0xffffffff)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Apache-2.0";
