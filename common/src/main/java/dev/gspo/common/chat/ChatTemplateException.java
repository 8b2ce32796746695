package dev.gspo.common.chat;

/** A chat template that cannot be rendered: a syntax error, an unsupported construct, or its own raise_exception. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
