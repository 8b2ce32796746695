package dev.gspo.optimizer.config;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The replica client with the replicas' API key ({@code gspo.optimizer.rollout-api-key}, the replicas'
 * {@code gspo.rollout.api-key}): every request that carries no {@code Authorization} header of its own gets
 * {@code Authorization: Bearer <key>}. A weight push keeps its push token (the replicas accept it there instead of
 * the key). The key is never logged: {@link #toString()} names only the wrapped client.
 *
 * <p>Why a decorator: the JDK client has no default headers, and rollouts, version reads, probes, the fleet's model
 * check and pushes are built in four places; one client that every one of them already receives is the one place the
 * key can be added without each caller having to remember it.
 */
final class ApiKeyHttpClient extends HttpClient {
    private final HttpClient delegate;
    private final String authorization;

    private ApiKeyHttpClient(HttpClient delegate, String apiKey) {
        this.delegate = delegate;
        this.authorization = "Bearer " + apiKey;
    }

    /** {@code client} itself when {@code apiKey} is blank (replicas without a key). */
    static HttpClient wrap(HttpClient client, String apiKey) {
        return apiKey == null || apiKey.isBlank() ? client : new ApiKeyHttpClient(client, apiKey);
    }

    private HttpRequest withKey(HttpRequest request) {
        if (request.headers().firstValue("Authorization").isPresent()) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true)
                .header("Authorization", authorization)
                .build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return delegate.send(withKey(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return delegate.sendAsync(withKey(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
            HttpRequest request, HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
        return delegate.sendAsync(withKey(request), handler, push);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }

    @Override
    public void shutdownNow() {
        delegate.shutdownNow();
    }

    @Override
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        return delegate.awaitTermination(duration);
    }

    @Override
    public boolean isTerminated() {
        return delegate.isTerminated();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "ApiKeyHttpClient[" + delegate + "]";
    }
}
