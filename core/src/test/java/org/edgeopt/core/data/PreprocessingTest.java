package org.edgeopt.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PreprocessingTest {

  @Test
  void squeezeNetSpec() throws EdgeoptException {
    // SqueezeNet 1.0 (Caffe): BGR, 0..255, minus the per-channel mean.
    Preprocessing p = Preprocessing.parse("resize=256,crop=224,channels=bgr,mean=104:117:123");
    assertEquals(256, p.resize());
    assertEquals(224, p.crop());
    assertEquals("bgr", p.channels());
    assertEquals(1f, p.scale());
    assertArrayEquals(new float[] {104f, 117f, 123f}, p.mean());
    assertArrayEquals(new float[] {1f}, p.std());
    assertFalse(p.channelsLast());
    assertEquals(255f - 104f, p.normalize(255, 0));
    assertEquals(-117f, p.normalize(0, 1));
    assertEquals(0f, p.normalize(123, 2));
  }

  @Test
  void mnistRawPixelsAreTheIdentity() throws EdgeoptException {
    // mnist-7 takes raw 0..255 pixels: no spec at all.
    Preprocessing p = Preprocessing.parse("");
    assertEquals(Preprocessing.identity(), p);
    assertEquals(Preprocessing.identity(), Preprocessing.parse(null));
    assertEquals(255f, p.normalize(255, 0));
  }

  @Test
  void sampleModelSpecWithFractionScale() throws EdgeoptException {
    Preprocessing p = Preprocessing.parse("scale=0.00392156862745098,mean=0.2860,std=0.3530");
    assertEquals((1f - 0.2860f) / 0.3530f, p.normalize(255, 0), 1e-6f);
    assertEquals(-0.2860f / 0.3530f, p.normalize(0, 0), 1e-6f);
    Preprocessing q = Preprocessing.parse("scale=1/255,mean=0.5,std=0.5,layout=NHWC");
    assertEquals(1f / 255f, q.scale());
    assertTrue(q.channelsLast());
    assertEquals(1f, q.normalize(255, 0), 1e-6f);
  }

  @Test
  void specRoundTripsThroughToSpec() throws EdgeoptException {
    Preprocessing p =
        Preprocessing.parse(
            "resize=256,crop=224,channels=rgb,scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225");
    assertEquals(p, Preprocessing.parse(p.toSpec()));
    assertEquals(
        "resize=256,crop=224,channels=rgb,scale=0.003921569,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,layout=nchw",
        p.toSpec());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "resize|preprocessing 'resize': expected key=value, found 'resize'",
        "foo=1|preprocessing 'foo=1': unknown key 'foo' (expected resize, crop, channels, scale, mean, std, layout)",
        "channels=cmyk|preprocessing: channels must be gray, rgb or bgr, found 'cmyk'",
        "layout=nchwc|preprocessing: layout must be nchw or nhwc, found 'nchwc'",
        "std=0|preprocessing 'std=0': std must not be 0",
        "mean=a:b|preprocessing 'mean=a:b': 'mean' expects a number, found 'a:b'",
        "crop=big|preprocessing 'crop=big': 'crop' expects a whole number of pixels, found 'big'",
        "resize=0|preprocessing 'resize=0': resize=0 is out of range: expected 1..8192 pixels (leave resize out to keep the image's size)",
        "resize=-5|preprocessing 'resize=-5': resize=-5 is out of range: expected 1..8192 pixels (leave resize out to keep the image's size)",
        "resize=1000000|preprocessing 'resize=1000000': resize=1000000 is out of range: expected 1..8192 pixels (leave resize out to keep the image's size)",
        "crop=0|preprocessing 'crop=0': crop=0 is out of range: expected 1..8192 pixels (leave crop out to keep the image's size)",
        "crop=-1|preprocessing 'crop=-1': crop=-1 is out of range: expected 1..8192 pixels (leave crop out to keep the image's size)",
        "mean=1:2:3;std=1:2|preprocessing 'mean=1:2:3,std=1:2': mean has 3 values and std 2: expected one value per channel in both, or one value for all channels",
        "channels=rgb;mean=1:2|preprocessing 'channels=rgb,mean=1:2': mean has 2 values but channels=rgb has 3 channels: expected 1 value or 3",
        "channels=gray;std=1:2|preprocessing 'channels=gray,std=1:2': std has 2 values but channels=gray has 1 channel: expected 1 value or 1"
      })
  void badSpecsAreInvalidInputWithOneLine(String specWithSemicolons, String message) {
    // ';' stands for ',' inside a spec, as the CSV source splits on commas only outside quotes.
    String spec = specWithSemicolons.replace(';', ',');
    EdgeoptException e = assertThrows(EdgeoptException.class, () -> Preprocessing.parse(spec));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    assertEquals(message, e.getMessage());
  }
}
