// Apache Kafka's own Java consumer with Kafka 4's consumer group protocol (KIP-848)
// against minikafka.
//
// Usage: java ConsumerProtocolCheck HOST:PORT
//
// Two members with group.protocol=consumer join one group and split the partitions the
// broker assigns. Records are produced; partway through one member closes (leaving the
// group) and the other takes over its partitions from the committed offsets. Members commit
// synchronously after every batch and before giving partitions up, so every offset of
// every partition must be read exactly once, and the commits must end at the log end.

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class ConsumerProtocolCheck {
    static final String TOPIC = "java-kip848";
    static final String GROUP = "java-kip848-group";
    static final int PARTITIONS = 4;
    static final int RECORDS = 10_000;
    static final long DEADLINE_MS = 90_000;
    static String bootstrap;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL: " + what);
            System.exit(1);
        }
        System.out.println("ok: " + what);
    }

    static void waitFor(BooleanSupplier cond, String what, List<Member> members) throws InterruptedException {
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (System.currentTimeMillis() < end) {
            if (cond.getAsBoolean()) {
                return;
            }
            for (Member m : members) {
                if (m.error != null) {
                    check(false, what + ": " + m.name + " failed: " + m.error);
                }
            }
            Thread.sleep(50);
        }
        check(false, what + " (within " + DEADLINE_MS + " ms)");
    }

    /** A consumer-protocol member polling on its own thread. */
    static final class Member implements Runnable {
        final String name;
        final List<long[]> seen = new ArrayList<>();
        final Set<Integer> assigned = new HashSet<>();
        volatile boolean stop;
        volatile String error;
        final Thread thread;

        Member(String name) {
            this.name = name;
            this.thread = new Thread(this, name);
            this.thread.start();
        }

        public void run() {
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("group.id", GROUP);
            p.put("group.protocol", "consumer");
            p.put("client.id", name);
            p.put("enable.auto.commit", "false");
            p.put("auto.offset.reset", "earliest");
            p.put("key.deserializer", ByteArrayDeserializer.class.getName());
            p.put("value.deserializer", ByteArrayDeserializer.class.getName());
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
                c.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
                    public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                        c.commitSync();
                    }

                    public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                    }
                });
                while (!stop) {
                    List<long[]> batch = new ArrayList<>();
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        batch.add(new long[] {r.partition(), r.offset()});
                    }
                    if (!batch.isEmpty()) {
                        c.commitSync();
                    }
                    synchronized (this) {
                        seen.addAll(batch);
                        assigned.clear();
                        for (TopicPartition tp : c.assignment()) {
                            assigned.add(tp.partition());
                        }
                    }
                }
            } catch (Exception e) {
                error = e.toString();
            }
        }

        synchronized Set<Integer> assignment() {
            return new HashSet<>(assigned);
        }

        synchronized int count() {
            return seen.size();
        }
    }

    static void produce(KafkaProducer<byte[], byte[]> producer, int first, int last) throws Exception {
        for (int i = first; i < last; i++) {
            producer.send(new ProducerRecord<>(TOPIC, Integer.toString(i).getBytes(), new byte[100]));
        }
        producer.flush();
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(common)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
        }
        check(true, "created " + TOPIC + " with " + PARTITIONS + " partitions");

        Member a = new Member("java-a");
        Member b = new Member("java-b");
        List<Member> members = List.of(a, b);
        Set<Integer> all = new TreeSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            all.add(p);
        }
        waitFor(() -> {
            Set<Integer> x = a.assignment(), y = b.assignment();
            Set<Integer> both = new HashSet<>(x);
            both.retainAll(y);
            Set<Integer> union = new HashSet<>(x);
            union.addAll(y);
            return !x.isEmpty() && !y.isEmpty() && both.isEmpty() && union.equals(all);
        }, "both members own a share of the partitions", members);
        check(true, "split by the broker: a=" + new TreeSet<>(a.assignment()) + " b=" + new TreeSet<>(b.assignment()));

        Properties pp = new Properties();
        pp.putAll(common);
        pp.put("key.serializer", ByteArraySerializer.class.getName());
        pp.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            produce(producer, 0, RECORDS / 2);
            waitFor(() -> a.count() + b.count() >= RECORDS / 2, "members read the first half", members);
            b.stop = true;
            b.thread.join(30_000);
            check(!b.thread.isAlive() && b.error == null, "b closed, leaving the group: " + b.error);
            waitFor(() -> a.assignment().equals(all), "a owns every partition after b left", members);
            produce(producer, RECORDS / 2, RECORDS);
        }
        waitFor(() -> a.count() + b.count() >= RECORDS, "members read " + RECORDS + " records", members);
        Thread.sleep(500);
        a.stop = true;
        a.thread.join(30_000);
        check(a.error == null, "a closed: " + a.error);

        Map<Integer, List<Long>> perPartition = new HashMap<>();
        Set<String> distinct = new HashSet<>();
        int total = 0;
        for (Member m : members) {
            for (long[] r : m.seen) {
                perPartition.computeIfAbsent((int) r[0], k -> new ArrayList<>()).add(r[1]);
                distinct.add(r[0] + "/" + r[1]);
                total++;
            }
        }
        check(total == RECORDS, "read " + total + " records in total, exactly " + RECORDS);
        check(distinct.size() == RECORDS, "no record was read twice");

        Properties probe = new Properties();
        probe.putAll(common);
        probe.put("group.id", GROUP);
        probe.put("key.deserializer", ByteArrayDeserializer.class.getName());
        probe.put("value.deserializer", ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(probe)) {
            Set<TopicPartition> tps = new HashSet<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition(TOPIC, p));
            }
            Map<TopicPartition, Long> ends = c.endOffsets(tps);
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(tps);
            for (TopicPartition tp : tps) {
                List<Long> offsets = perPartition.getOrDefault(tp.partition(), new ArrayList<>());
                offsets.sort(null);
                boolean dense = offsets.size() == ends.get(tp);
                for (int i = 0; dense && i < offsets.size(); i++) {
                    dense = offsets.get(i) == i;
                }
                check(dense, "every offset of " + tp + " read once (end " + ends.get(tp) + ")");
                check(committed.get(tp) != null && committed.get(tp).offset() == ends.get(tp),
                    "committed offset of " + tp + " at the log end: " + committed.get(tp));
            }
        }
        System.out.println("java consumer protocol: all checks passed");
        System.exit(0);
    }
}
