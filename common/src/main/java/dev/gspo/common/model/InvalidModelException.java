package dev.gspo.common.model;

/** A model directory, config or weight set that cannot be used; the message names the offending key or tensor. */
public class InvalidModelException extends RuntimeException {
    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
