package dev.gspo.rollout.web;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * Tomcat's per-connection socket read buffer ({@code socket.appReadBufSize}, Tomcat's default 8 KB), set by {@code
 * gspo.rollout.socket-read-buffer} (default 256KB): a request body is read from the socket at most this much per
 * system call, so a 100 MB weight push took ~12,800 reads of 8 KB. Chosen by measurement (docs/BENCHMARKS.md,
 * "Publishing, round 2"): 8 KB, 64 KB, 256 KB and 1 MB were tried. Each connection in use holds about twice this much
 * heap (Tomcat's socket buffer and its request input buffer), so keep it modest on a replica with many clients.
 */
@Configuration(proxyBeanMethods = false)
class TomcatReadBufferConfiguration {
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> socketReadBuffer(
            @Value("${gspo.rollout.socket-read-buffer:256KB}") DataSize size) {
        long bytes = size.toBytes();
        if (bytes < 1024 || bytes > (16L << 20)) {
            throw new IllegalArgumentException(
                    "gspo.rollout.socket-read-buffer must be between 1KB and 16MB, got " + size);
        }
        return factory -> factory.addConnectorCustomizers(
                connector -> connector.setProperty("socket.appReadBufSize", Long.toString(bytes)));
    }
}
