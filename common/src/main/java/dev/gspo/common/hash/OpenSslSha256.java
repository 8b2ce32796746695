package dev.gspo.common.hash;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * SHA-256 computed by OpenSSL's {@code libcrypto} (its EVP interface: {@code EVP_DigestInit_ex}, {@code
 * EVP_DigestUpdate}, {@code EVP_DigestFinal_ex}), called through the JDK's foreign function interface. Written here
 * because no maintained Java library binds it without bringing a TLS stack along (netty-tcnative, Conscrypt) and the
 * binding is five functions. Heap arrays are passed to {@code EVP_DigestUpdate} without a copy ({@link
 * Linker.Option#critical(boolean) critical} downcalls with heap access); such a call holds back the JVM's safepoints
 * while it runs, so an update is cut into calls of at most {@link #MAX_BYTES_PER_CALL} (~0.6 ms each).
 *
 * <p>Loaded once: {@link #unavailableReason} says why it cannot be used (no {@code libcrypto}, native access denied,
 * or a self-test against the JDK's SHA-256 failed), and {@link Sha256} then uses the JDK's.
 */
final class OpenSslSha256 {
    /** The most bytes hashed in one critical downcall. */
    static final int MAX_BYTES_PER_CALL = 1 << 20;

    private static final List<String> LIBRARIES = List.of("libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib");
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Functions FUNCTIONS;
    private static final String UNAVAILABLE;

    static {
        Functions functions = null;
        String unavailable;
        try {
            functions = Functions.load();
            unavailable = selfTest(functions);
        } catch (Throwable e) { // no library, a missing symbol, native access denied: use the JDK's
            unavailable = e.toString();
        }
        FUNCTIONS = unavailable == null ? functions : null;
        UNAVAILABLE = unavailable;
    }

    private OpenSslSha256() {}

    /** Why OpenSSL's SHA-256 cannot be used here, or null when it can. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The loaded OpenSSL's version text. */
    static String version() {
        return FUNCTIONS == null ? "not loaded" : FUNCTIONS.version;
    }

    /** The downcall handles, bound once. */
    private record Functions(
            MethodHandle newContext,
            MethodHandle freeContext,
            MemorySegment sha256,
            MethodHandle init,
            MethodHandle update,
            MethodHandle finish,
            String version) {

        static Functions load() throws Throwable {
            SymbolLookup lib = null;
            IllegalArgumentException notFound = null;
            for (String name : LIBRARIES) {
                try {
                    lib = SymbolLookup.libraryLookup(name, Arena.global());
                    break;
                } catch (IllegalArgumentException e) {
                    notFound = e;
                }
            }
            if (lib == null) {
                throw notFound;
            }
            Linker linker = Linker.nativeLinker();
            Linker.Option heapAccess = Linker.Option.critical(true);
            MethodHandle evpSha256 = down(linker, lib, "EVP_sha256", FunctionDescriptor.of(ValueLayout.ADDRESS));
            MethodHandle versionText = down(
                    linker, lib, "OpenSSL_version", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            String version = ((MemorySegment) versionText.invokeExact(0))
                    .reinterpret(256)
                    .getString(0);
            return new Functions(
                    down(linker, lib, "EVP_MD_CTX_new", FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    down(linker, lib, "EVP_MD_CTX_free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)),
                    (MemorySegment) evpSha256.invokeExact(),
                    down(
                            linker,
                            lib,
                            "EVP_DigestInit_ex",
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS)),
                    down(
                            linker,
                            lib,
                            "EVP_DigestUpdate",
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_LONG),
                            heapAccess),
                    down(
                            linker,
                            lib,
                            "EVP_DigestFinal_ex",
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.ADDRESS),
                            heapAccess),
                    version);
        }

        private static MethodHandle down(
                Linker linker, SymbolLookup lib, String name, FunctionDescriptor descriptor, Linker.Option... options) {
            MemorySegment symbol =
                    lib.find(name).orElseThrow(() -> new IllegalArgumentException("libcrypto has no " + name));
            return linker.downcallHandle(symbol, descriptor, options);
        }
    }

    /** Null when OpenSSL's digests of a few inputs equal the JDK's, else what differed. */
    private static String selfTest(Functions functions) {
        byte[] data = new byte[MAX_BYTES_PER_CALL + 1000]; // crosses a call boundary
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + (i >>> 11));
        }
        for (byte[] input : List.of(new byte[0], "abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII), data)) {
            MessageDigest ours = new Digest(functions);
            ours.update(input);
            if (!Arrays.equals(ours.digest(), jdkSha256().digest(input))) {
                return "self-test failed: its SHA-256 of " + input.length + " bytes differs from the JDK's";
            }
        }
        return null;
    }

    /** The JDK's SHA-256 (not {@link Sha256#jdk}: that class chooses between this one and the JDK's on its load). */
    private static MessageDigest jdkSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A {@link MessageDigest} over one OpenSSL digest context, freed when the digest is no longer reachable. Not
     * thread-safe; not cloneable.
     */
    static final class Digest extends MessageDigest {
        private final Functions f;
        private final MemorySegment context;
        private final byte[] one = new byte[1];

        Digest() {
            this(FUNCTIONS);
        }

        private Digest(Functions f) {
            super("SHA-256");
            if (f == null) {
                throw new IllegalStateException("OpenSSL's SHA-256 is not available: " + UNAVAILABLE);
            }
            this.f = f;
            try {
                this.context = (MemorySegment) f.newContext.invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("EVP_MD_CTX_new failed", e);
            }
            if (context.equals(MemorySegment.NULL)) {
                throw new OutOfMemoryError("EVP_MD_CTX_new returned NULL");
            }
            MethodHandle free = f.freeContext;
            MemorySegment ctx = context;
            CLEANER.register(this, () -> {
                try {
                    free.invokeExact(ctx);
                } catch (Throwable ignored) {
                    // nothing to do: the context leaks
                }
            });
            engineReset();
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }

        @Override
        protected void engineUpdate(byte input) {
            one[0] = input;
            engineUpdate(one, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            MemorySegment heap = MemorySegment.ofArray(input);
            for (int done = 0; done < len; ) {
                int n = Math.min(MAX_BYTES_PER_CALL, len - done);
                update(heap.asSlice(offset + done, n), n);
                done += n;
            }
        }

        @Override
        protected void engineUpdate(ByteBuffer input) {
            if (!input.isDirect()) {
                super.engineUpdate(input); // through the array path
                return;
            }
            int len = input.remaining();
            MemorySegment bytes = MemorySegment.ofBuffer(input);
            for (int done = 0; done < len; ) {
                int n = Math.min(MAX_BYTES_PER_CALL, len - done);
                update(bytes.asSlice(done, n), n);
                done += n;
            }
            input.position(input.limit());
        }

        private void update(MemorySegment bytes, int n) {
            int ok;
            try {
                ok = (int) f.update.invokeExact(context, bytes, (long) n);
            } catch (Throwable e) {
                throw new IllegalStateException("EVP_DigestUpdate failed", e);
            }
            check(ok, "EVP_DigestUpdate");
        }

        @Override
        protected byte[] engineDigest() {
            byte[] out = new byte[32];
            int ok;
            try {
                ok = (int) f.finish.invokeExact(context, MemorySegment.ofArray(out), MemorySegment.NULL);
            } catch (Throwable e) {
                throw new IllegalStateException("EVP_DigestFinal_ex failed", e);
            }
            check(ok, "EVP_DigestFinal_ex");
            engineReset(); // a MessageDigest is reset after digest()
            return out;
        }

        @Override
        protected void engineReset() {
            int ok;
            try {
                ok = (int) f.init.invokeExact(context, f.sha256, MemorySegment.NULL);
            } catch (Throwable e) {
                throw new IllegalStateException("EVP_DigestInit_ex failed", e);
            }
            check(ok, "EVP_DigestInit_ex");
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            throw new CloneNotSupportedException("OpenSSL SHA-256 digests are not cloned");
        }

        private static void check(int ok, String function) {
            if (ok != 1) {
                throw new IllegalStateException(function + " returned " + ok);
            }
        }
    }
}
