package dev.gspo.optimizer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.NoSuchSslBundleException;

/** The replicas' HTTP client: JDK trust by default, a named SSL bundle when configured, a clear error when misnamed. */
class RolloutHttpClientTest {

    @Test
    void withoutABundleUsesTheJdkDefaultSslContext() throws Exception {
        assertThat(RolloutHttpClient.create("", new DefaultSslBundleRegistry()).sslContext())
                .isSameAs(SSLContext.getDefault());
    }

    @Test
    void aBundleNameThatIsNotConfiguredFailsNamingIt() {
        assertThatThrownBy(() -> RolloutHttpClient.create("fleet", new DefaultSslBundleRegistry()))
                .isInstanceOf(NoSuchSslBundleException.class)
                .hasMessageContaining("'fleet'");
    }
}
