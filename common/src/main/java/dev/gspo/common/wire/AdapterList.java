package dev.gspo.common.wire;

import java.util.List;

/**
 * {@code GET /v1/adapters}: the named adapters a replica serves now.
 *
 * @param adapters    by name
 * @param maxAdapters how many it may hold at once ({@code gspo.rollout.max-adapters})
 */
public record AdapterList(List<AdapterInfo> adapters, int maxAdapters) {}
