import Testing
import Runtime

/// Values are copied on every variable read, argument and list element: the large payloads (volumes, models)
/// sit behind a pointer so a Value stays as small as a string plus its tag.
@Test func valueIsAsSmallAsAStringAndATag() {
    #expect(MemoryLayout<Value>.size <= MemoryLayout<String>.size + 1)
}
