package dev.gspo.rollout.web;

/** A request body over its configured limit (413). */
public final class PayloadTooLargeException extends RuntimeException {
    public PayloadTooLargeException(long limit, String property) {
        super("request body exceeds " + limit + " bytes (" + property + ")");
    }
}
