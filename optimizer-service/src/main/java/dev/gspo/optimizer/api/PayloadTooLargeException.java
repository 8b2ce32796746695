package dev.gspo.optimizer.api;

/** A request body over {@code gspo.optimizer.max-request-bytes} (HTTP 413). */
final class PayloadTooLargeException extends RuntimeException {
    PayloadTooLargeException(long limit) {
        super("the request body is larger than " + limit + " bytes (gspo.optimizer.max-request-bytes)");
    }
}
