package dev.gspo.optimizer.config;

import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.boot.ssl.SslBundles;

/**
 * The one HTTP client the optimizer talks to its replicas with (rollouts, weight pushes, version reads).
 *
 * <p>With {@code gspo.optimizer.rollout-ssl-bundle} naming a Spring SSL bundle ({@code spring.ssl.bundle.pem.<name>.*}
 * or {@code spring.ssl.bundle.jks.<name>.*}), https connections use that bundle's SSL context: its trust material
 * decides which replica certificates are accepted (typically only those signed by the fleet's private CA), and its
 * key, if it has one, is offered as a client certificate. Without it the JDK's default trust store applies, which a
 * private CA is not in. Host names are verified either way (the JDK client checks the certificate's subject
 * alternative names against the URL's host).
 */
final class RolloutHttpClient {
    private RolloutHttpClient() {}

    /** @throws org.springframework.boot.ssl.NoSuchSslBundleException naming the bundle when none has that name */
    static HttpClient create(String sslBundle, SslBundles bundles) {
        HttpClient.Builder builder =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (!sslBundle.isBlank()) {
            builder.sslContext(bundles.getBundle(sslBundle).createSslContext());
        }
        return builder.build();
    }
}
