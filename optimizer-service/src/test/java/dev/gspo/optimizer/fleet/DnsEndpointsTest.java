package dev.gspo.optimizer.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DnsEndpointsTest {

    @Test
    void resolvesEveryAddressOfTheNameAndFollowsChangesAfterTheRefreshInterval() throws Exception {
        AtomicReference<InetAddress[]> answer = new AtomicReference<>(addresses("10.0.0.2", "10.0.0.1"));
        AtomicInteger lookups = new AtomicInteger();
        MutableClock clock = new MutableClock();
        DnsEndpoints dns = new DnsEndpoints("rollout-headless:8081", Duration.ofSeconds(10), clock, host -> {
            assertThat(host).isEqualTo("rollout-headless");
            lookups.incrementAndGet();
            return answer.get();
        });
        assertThat(dns.current())
                .containsExactly(URI.create("http://10.0.0.1:8081"), URI.create("http://10.0.0.2:8081"));
        answer.set(addresses("10.0.0.3"));
        clock.advance(Duration.ofSeconds(5));
        assertThat(dns.current()).as("not yet re-resolved").hasSize(2);
        clock.advance(Duration.ofSeconds(6));
        assertThat(dns.current()).containsExactly(URI.create("http://10.0.0.3:8081"));
        assertThat(lookups).hasValue(2);
    }

    @Test
    void keepsTheLastGoodAnswerWhenALookupFails() throws Exception {
        AtomicReference<InetAddress[]> answer = new AtomicReference<>(addresses("10.0.0.1"));
        MutableClock clock = new MutableClock();
        DnsEndpoints dns = new DnsEndpoints("svc:9000", Duration.ofSeconds(1), clock, host -> answer.get());
        assertThat(dns.current()).hasSize(1);
        answer.set(null);
        clock.advance(Duration.ofSeconds(2));
        assertThat(dns.current()).containsExactly(URI.create("http://10.0.0.1:9000"));
    }

    @Test
    void refusesANameWithoutAPort() {
        assertThatThrownBy(() -> new DnsEndpoints("rollout-headless", Duration.ofSeconds(1)))
                .hasMessageContaining("host:port");
    }

    @Test
    void staticListTrimsTrailingSlashesAndRefusesEmptyLists() {
        assertThat(StaticEndpoints.parse(java.util.List.of("http://a:1/", " http://b:2 "))
                        .current())
                .containsExactly(URI.create("http://a:1"), URI.create("http://b:2"));
        assertThatThrownBy(() -> StaticEndpoints.parse(java.util.List.of(" "))).hasMessageContaining("at least one");
    }

    private static InetAddress[] addresses(String... ips) throws UnknownHostException {
        InetAddress[] out = new InetAddress[ips.length];
        for (int i = 0; i < ips.length; i++) {
            out[i] = InetAddress.getByName(ips[i]);
        }
        return out;
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
