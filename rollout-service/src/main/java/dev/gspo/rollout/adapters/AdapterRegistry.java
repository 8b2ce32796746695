package dev.gspo.rollout.adapters;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.replica.AdapterInstall;
import dev.gspo.common.wire.AdapterInfo;
import dev.gspo.rollout.weights.BaseChangeGuard;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.PushHeaders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The named LoRA adapters this replica serves beside its base model, each with its own version; the only place they
 * change. Many training runs share one fleet this way: each run pushes its own adapter ({@code PUT
 * /v1/adapters/{name}}) and samples with it ({@code "adapter"} in {@code POST /v1/rollouts}); rows of every adapter
 * share the decoder's running batch over the one copy of the base weights ({@code DecodeAdapter}).
 *
 * <ul>
 *   <li>An install is checked completely (SHA-256, framing and LoRA metadata, the base it was trained on equal to the
 *       served weights, every tensor's name, shape, dtype and finiteness: {@link AdapterInstall#verify}), its fused
 *       decode terms built, and only then published with one map write; any failure leaves the previous version of
 *       that adapter served. Versions of one adapter only move forward; a new name beyond
 *       {@code gspo.rollout.max-adapters} is refused.
 *   <li>Installs run under the policy registry's swap lock ({@link PolicyRegistry#withCurrent}), and this registry is
 *       its {@link BaseChangeGuard}: while any adapter is loaded, the served weights cannot change (a full push is
 *       refused with 409 {@code adapters_loaded}: the adapters were trained on the weights served now).
 *   <li>Replaced and deleted versions are freed when the last request decoding on them ends ({@link AdapterLease}).
 * </ul>
 */
public final class AdapterRegistry implements BaseChangeGuard, AutoCloseable {
    private final PolicyRegistry policies;
    private final NDManager manager;
    private final int maxAdapters;
    private final Map<String, ServedAdapter> byName = new ConcurrentHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public AdapterRegistry(PolicyRegistry policies, NDManager manager, int maxAdapters) {
        this.policies = policies;
        this.manager = manager;
        this.maxAdapters = maxAdapters;
        policies.guardBaseChanges(this);
    }

    public int maxAdapters() {
        return maxAdapters;
    }

    /** Called after every install and delete (the metrics refresh their per-adapter gauges). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Fails fast, before a push body is read: a stale version, or a new name beyond the limit. */
    void precheck(String name, long version) {
        ServedAdapter served = byName.get(name);
        if (served != null && version <= served.version()) {
            throw AdapterProblem.stale(name, version, served.version());
        }
        if (served == null && byName.size() >= maxAdapters) {
            throw AdapterProblem.tooMany(name, maxAdapters);
        }
    }

    /**
     * Installs version {@code headers.version()} of adapter {@code name}.
     *
     * @param baseSha256 the {@code X-Base-SHA256} the adapter was trained on: must be the served weights' SHA-256
     */
    AdapterInfo install(String name, PushHeaders headers, String baseSha256, byte[] body) {
        AdapterInfo info = policies.withCurrent(served -> {
            precheck(name, headers.version()); // again, under the lock: concurrent pushes passed the early check
            AdapterInstall.Verified v =
                    AdapterInstall.verify(body, headers.sha256(), baseSha256, served.sha256(), served.model());
            DecodeAdapter decode;
            try (LoraWeights w = PeftAdapter.fromPeftTensors(served.model().config(), v.lora(), v.tensors(), manager)) {
                decode = DecodeAdapter.of(served.model().config(), w, manager);
            }
            ServedAdapter next = new ServedAdapter(
                    name,
                    headers.version(),
                    v.lora(),
                    headers.sha256(),
                    body.length,
                    served.sha256(),
                    decode,
                    Instant.now());
            ServedAdapter old = byName.put(name, next);
            if (old != null) {
                old.release();
            }
            return next.info();
        });
        listeners.forEach(Runnable::run);
        return info;
    }

    /** Unloads adapter {@code name}; requests decoding on it finish first. @throws AdapterProblem 404 if unknown */
    AdapterInfo delete(String name) {
        ServedAdapter removed = byName.remove(name);
        if (removed == null) {
            throw AdapterProblem.unknown(name);
        }
        removed.release();
        listeners.forEach(Runnable::run);
        return removed.info();
    }

    /** A lease on the current version of {@code name}. @throws AdapterProblem 404 if unknown */
    public AdapterLease acquire(String name) {
        while (true) {
            ServedAdapter a = byName.get(name);
            if (a == null) {
                throw AdapterProblem.unknown(name);
            }
            if (a.retain()) {
                return new AdapterLease(a);
            }
            // replaced or deleted between the read and retain: read again
        }
    }

    /** What {@code GET /v1/adapters} lists, by name. */
    public List<AdapterInfo> list() {
        List<AdapterInfo> out = new ArrayList<>();
        for (ServedAdapter a : byName.values()) {
            out.add(a.info());
        }
        out.sort(Comparator.comparing(AdapterInfo::name));
        return out;
    }

    public Optional<AdapterInfo> get(String name) {
        return Optional.ofNullable(byName.get(name)).map(ServedAdapter::info);
    }

    /** Adapters loaded now. */
    public int size() {
        return byName.size();
    }

    /** Refuses a change of the served weights while any adapter is loaded (called under the swap lock). */
    @Override
    public void check() {
        if (!byName.isEmpty()) {
            throw AdapterProblem.adaptersLoaded(
                    list().stream().map(AdapterInfo::name).toList());
        }
    }

    /** Drops the registry's references; versions still leased are freed by their last request. */
    @Override
    public void close() {
        for (String name : List.copyOf(byName.keySet())) {
            ServedAdapter a = byName.remove(name);
            if (a != null) {
                a.release();
            }
        }
    }
}
