package dev.gspo.common.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's grad mode is thread-local and on by default; DJL switches it off only on the thread that loaded the
 * engine, and a {@code GradientCollector} restores the thread's previous mode when it closes. On any other thread
 * (a request thread, the training loop's thread), a forward pass outside a collector would record a graph, and an
 * in-place optimizer update of a parameter that requires grad would fail. Trainer entry points call
 * {@link #offForThisThread()} first.
 */
public final class Autograd {
    private Autograd() {}

    public static void offForThisThread() {
        Engine.getInstance(); // make sure the native library is loaded
        JniUtils.setGradMode(false);
    }
}
