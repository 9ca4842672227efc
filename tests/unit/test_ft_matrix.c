/* test_ft_matrix.c: the sum of a line's input rows (wn_ft_matrix_add_rows) on dim-16
 * matrices, its AVX path (add_rows16_avx, taken when the CPU has AVX) and its SSE path
 * (wn_ft_use_avx off), against fastText's loop written plainly: for each row in order,
 * x[j] += row[j] one float at a time. The floats must be the same bits: the rows' values
 * span many magnitudes and signs, so adding them in another order, or an element to
 * another lane, changes the sums. */
#include "classify/ft_internal.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

enum { ROWS = 2000, DIM = 16 };

/* A float of random sign and magnitude (2^-20 .. 2^20), sometimes an exact zero of
 * either sign. */
static float random_float(void)
{
    int kind = rand() % 16;
    if (kind == 0)
        return 0.0f;
    if (kind == 1)
        return -0.0f;
    float mant = (float)rand() / (float)RAND_MAX + 0.5f;
    float scale = (float)(1 << (rand() % 21)) / (float)(1 << (rand() % 21));
    return (rand() & 1 ? -1.0f : 1.0f) * mant * scale;
}

static void ref_add_rows(const float *data, const int32_t *rows, size_t n, float *x)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < DIM; j++)
            x[j] += data[(size_t)rows[i] * DIM + (size_t)j];
}

/* Random lines of 0 to 300 rows (the AVX and SSE loops fetch 32 rows ahead: lines both
 * shorter and longer than that), from a random start, summed by wn_ft_matrix_add_rows and
 * by the reference. */
static void check_sums(const wn_ft_matrix *mx)
{
    int32_t rows[300];
    for (int t = 0; t < 3000; t++) {
        size_t n = (size_t)(rand() % 300);
        for (size_t i = 0; i < n; i++)
            rows[i] = rand() % ROWS;
        float x[DIM], want[DIM];
        for (int j = 0; j < DIM; j++)
            want[j] = x[j] = t % 2 ? 0.0f : random_float();
        wn_ft_matrix_add_rows(mx, rows, n, x);
        ref_add_rows(mx->data, rows, n, want);
        assert_memory_equal(x, want, sizeof x);
    }
}

static void test_add_rows16(void **state)
{
    (void)state;
    srand(7);
    wn_ft_matrix mx = {.m = ROWS, .n = DIM};
    mx.data = wn_ft_alloc_floats((size_t)ROWS * DIM);
    for (size_t i = 0; i < (size_t)ROWS * DIM; i++)
        mx.data[i] = random_float();
    wn_ft_use_avx = true; /* AVX where the CPU has it */
    check_sums(&mx);
    wn_ft_use_avx = false;
    check_sums(&mx);
    wn_ft_use_avx = true;
    free(mx.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_rows16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
