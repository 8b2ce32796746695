package dev.gspo.optimizer.fleet;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Replicas found by resolving one DNS name to all its addresses, as a Kubernetes headless Service publishes its ready
 * pods ({@code gspo.optimizer.rollout-dns=rollout-headless:8081}). The name is resolved again once {@code refresh}
 * has passed, so replicas that come and go are followed; if a lookup fails, the last good answer is kept.
 * (The JVM's own DNS cache, {@code networkaddress.cache.ttl}, must not be longer than {@code refresh}.)
 */
public final class DnsEndpoints implements RolloutEndpoints {
    private final String host;
    private final int port;
    private final Duration refresh;
    private final Clock clock;
    private final Function<String, InetAddress[]> resolver;
    private List<URI> last = List.of();
    private Instant resolvedAt = Instant.MIN;

    public DnsEndpoints(String hostPort, Duration refresh) {
        this(hostPort, refresh, Clock.systemUTC(), DnsEndpoints::resolve);
    }

    DnsEndpoints(String hostPort, Duration refresh, Clock clock, Function<String, InetAddress[]> resolver) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("rollout-dns must be host:port, got '" + hostPort + "'");
        }
        this.host = hostPort.substring(0, colon);
        this.port = Integer.parseInt(hostPort.substring(colon + 1));
        this.refresh = refresh;
        this.clock = clock;
        this.resolver = resolver;
    }

    @Override
    public synchronized List<URI> current() {
        Instant now = clock.instant();
        if (last.isEmpty() || !now.isBefore(resolvedAt.plus(refresh))) {
            InetAddress[] addresses = resolver.apply(host);
            if (addresses != null && addresses.length > 0) {
                last = Arrays.stream(addresses)
                        .map(a -> a.getHostAddress())
                        .sorted()
                        .map(ip -> URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port))
                        .toList();
                resolvedAt = now;
            }
        }
        return last;
    }

    private static InetAddress[] resolve(String host) {
        try {
            return InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
