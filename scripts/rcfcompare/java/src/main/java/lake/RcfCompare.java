package lake;

import com.amazon.randomcutforest.RandomCutForest;
import com.amazon.randomcutforest.config.ForestMode;
import com.amazon.randomcutforest.config.TransformMethod;
import com.amazon.randomcutforest.parkservices.AnomalyDescriptor;
import com.amazon.randomcutforest.parkservices.ThresholdedRandomCutForest;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a stream with AWS's Random Cut Forest library, one model per device,
 * for comparison with the lake's Go implementation (scripts/rcfcompare).
 *
 * <p>Usage: RcfCompare rcf|trcf TREES SAMPLE_SIZE TIME_DECAY SEED, with lines
 * "device,v1,...,vN" on standard input, one per reading in stream order. rcf
 * prints each point's RandomCutForest anomaly score (scored before the
 * update, as the Go forest does); trcf runs ThresholdedRandomCutForest
 * (shingle size 1, NORMALIZE) on the readings and prints "score,grade". The
 * last line on standard error is the nanoseconds spent in the library.
 */
public final class RcfCompare {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int trees = Integer.parseInt(args[1]);
        int sample = Integer.parseInt(args[2]);
        double decay = Double.parseDouble(args[3]);
        long seed = Long.parseLong(args[4]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
        List<String> devices = new ArrayList<>();
        List<double[]> points = new ArrayList<>();
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(",");
            double[] p = new double[f.length - 1];
            for (int i = 1; i < f.length; i++) {
                p[i - 1] = Double.parseDouble(f[i]);
            }
            devices.add(f[0]);
            points.add(p);
        }
        StringBuilder out = new StringBuilder(points.size() * 24);
        long spent = 0;
        if (mode.equals("rcf")) {
            Map<String, RandomCutForest> forests = new HashMap<>();
            for (int i = 0; i < points.size(); i++) {
                double[] p = points.get(i);
                String dev = devices.get(i);
                RandomCutForest f = forests.get(dev);
                if (f == null) {
                    f = RandomCutForest.builder().dimensions(p.length).numberOfTrees(trees).sampleSize(sample)
                            .timeDecay(decay).randomSeed(seed + forests.size()).build();
                    forests.put(dev, f);
                }
                long t0 = System.nanoTime();
                double s = f.getAnomalyScore(p);
                f.update(p);
                spent += System.nanoTime() - t0;
                out.append(s).append('\n');
            }
        } else {
            Map<String, ThresholdedRandomCutForest> forests = new HashMap<>();
            for (int i = 0; i < points.size(); i++) {
                double[] p = points.get(i);
                String dev = devices.get(i);
                ThresholdedRandomCutForest f = forests.get(dev);
                if (f == null) {
                    f = ThresholdedRandomCutForest.builder().dimensions(p.length).shingleSize(1).numberOfTrees(trees)
                            .sampleSize(sample).timeDecay(decay).randomSeed(seed + forests.size())
                            .forestMode(ForestMode.STANDARD).transformMethod(TransformMethod.NORMALIZE).build();
                    forests.put(dev, f);
                }
                long t0 = System.nanoTime();
                AnomalyDescriptor d = f.process(p, i);
                spent += System.nanoTime() - t0;
                out.append(d.getRCFScore()).append(',').append(d.getAnomalyGrade()).append('\n');
            }
        }
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 20);
        w.write(out.toString());
        w.flush();
        System.err.println(spent);
    }
}
